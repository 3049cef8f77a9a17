import Foundation

/// Turns a sound into a fixed-size log-mel spectrogram for the audio classifier.
///
/// The recipe:
/// 1. Mix to mono and resample to `sampleRate` with libswresample.
/// 2. Place a window of `seconds` on the sound: centred on the energy centroid of its 10 ms hops (so a word
///    anywhere in a longer recording is found), zero-padded where the window reaches past the recording.
/// 3. Log-mel of the window: ``LogMelAnalysis`` at `sampleRate` with `melBands` bands (25 ms periodic Hann windows
///    every 10 ms, FFmpeg's real FFT, Slaney mel filters up to `min(8000, sampleRate / 2)`), frames starting at
///    sample 0 with no padding at either end: at 8 kHz and one second, 98 frames of 40 bands.
/// 4. Relative to the loudest: each energy E becomes `ln(max(E, 1e-8·peak) / peak) / 4.6 + 2`, where `peak` is the
///    window's loudest; the window's values lie in [−2, 2], the loudest at 2 and anything 80 dB down or quieter
///    (digital silence, padding) at −2, as librosa's `power_to_db(ref=np.max, top_db=80)` scaled. The level of the
///    recording does not matter, and neither does how much of the window the word fills: statistics over the
///    whole window, as a mean and deviation would be, change with the word's length, and with them every value
///    (a per-window standardisation made 3 errors in 300 on FSDD's takes 5-9 held out, this 1).
///
/// The spectrogram is laid out bands × frames, the (1, M, F) image the network reads.
struct LogMelFrontEnd: Codable, Sendable, Equatable {
    var sampleRate = 8000
    var seconds = 1.0
    var melBands = 40

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate"
        case seconds
        case melBands = "mel_bands"
    }

    /// Energies below the window's loudest by more than 80 dB are raised to that floor.
    static let floorRatio: Float = 1e-8
    /// `ln(1e-8) / 4` to within rounding: divides the logarithms so that the 80 dB range spans 4 units.
    static let logScale: Float = 4.6

    var windowSamples: Int { Int((Double(sampleRate) * seconds).rounded()) }

    var analysis: LogMelAnalysis { LogMelAnalysis(sampleRate: sampleRate, bands: melBands) }

    /// Frames per window: step 3's count.
    var frames: Int {
        let analysis = analysis
        return 1 + (windowSamples - analysis.window.count) / analysis.hopLength
    }

    /// The network's input for one item: (1, M, F).
    var inputShape: [Int] { [1, melBands, frames] }

    /// Step 1: the mono samples at `sampleRate`, kept between epochs.
    /// - Throws: `EncodeError` for media that is not a clip with samples, `DecodeError` when resampling fails.
    func example(from media: Media, id: String, encoder: String) throws -> [Float] {
        guard case .audio(let audio) = media else {
            if case .reducedAudio = media {
                throw EncodeError.malformedInput(encoder: encoder, reason: "the audio was summarised, not decoded")
            }
            throw EncodeError.wrongModality(encoder: encoder, expected: .audio, got: media.modality)
        }
        guard audio.frameCount > 0 else {
            throw EncodeError.nothingToEncode(encoder: encoder, reason: "the audio has no samples")
        }
        return try AudioResampler.resample(audio.mono(), to: sampleRate, source: id).samples
    }

    /// Step 2: `windowSamples` samples centred on the sound's energy, moved later by `shift` samples.
    func window(of samples: [Float], shift: Int = 0) -> [Float] {
        let hop = max(1, sampleRate / 100)
        var (weighted, total) = (0.0, 0.0)
        for start in stride(from: 0, to: samples.count, by: hop) {
            var energy = 0.0
            for index in start..<min(samples.count, start + hop) { energy += Double(samples[index] * samples[index]) }
            weighted += energy * (Double(start) + Double(hop) / 2)
            total += energy
        }
        let centre = total > 0 ? Int(weighted / total) : samples.count / 2
        let first = centre - windowSamples / 2 - shift
        return (0..<windowSamples).map { offset in
            let index = first + offset
            return index >= 0 && index < samples.count ? samples[index] : 0
        }
    }

    /// Steps 3 and 4 for a window from `window(of:shift:)`: (M, F) values, bands × frames.
    func spectrogram(ofWindow window: [Float], encoder: String) throws -> [Float] {
        let analysis = analysis
        let fft = try RealFFT(size: analysis.fftSize, encoder: encoder)
        let (bands, frames) = (melBands, frames)
        var power = [Float](repeating: 0, count: analysis.fftSize / 2 + 1)
        var energies = [Float](repeating: 0, count: bands)
        var spectrogram = [Float](repeating: 0, count: bands * frames)
        for frame in 0..<frames {
            let start = frame * analysis.hopLength
            for (index, weight) in analysis.window.enumerated() { fft.input[index] = window[start + index] * weight }
            for index in analysis.window.count..<analysis.fftSize { fft.input[index] = 0 }
            fft.transform()
            for bin in power.indices {
                power[bin] = fft.output[bin].re * fft.output[bin].re + fft.output[bin].im * fft.output[bin].im
            }
            power.withUnsafeBufferPointer { power in
                energies.withUnsafeMutableBufferPointer { analysis.filterbank.apply(to: power, into: $0) }
            }
            for band in 0..<bands { spectrogram[band * frames + frame] = energies[band] }
        }
        let peak = max(spectrogram.max() ?? 0, .leastNormalMagnitude)
        let floor = max(peak * Self.floorRatio, .leastNormalMagnitude)
        return spectrogram.map { log(max($0, floor) / peak) / Self.logScale + 2 }
    }
}
