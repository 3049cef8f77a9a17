import BraidTensor
import CFFmpeg
import Foundation

/// Random perturbations of a training recording, drawn afresh for every example of every epoch, so the model
/// hears the word rather than six speakers' rooms and microphones (Ko et al., "Audio Augmentation for Speech
/// Recognition", 2015; Park et al., "SpecAugment", 2019).
///
/// In order, each with its range:
/// - Speed, always: a factor uniform in `speed`; the samples are resampled by libswresample as if recorded at
///   `factor · rate`, which changes tempo and pitch together, as a faster or slower, higher or lower voice does.
/// - Gain, always: uniform in ±`gainDecibels` dB.
/// - Time shift, always: the window moves uniform in ±`shiftSeconds` from the sound's energy centre.
/// - Noise, with probability `noiseProbability`: white or pink (equally likely) noise over the whole window at a
///   signal-to-noise ratio uniform in `noiseSNR` dB, the signal's power taken over its louder half of 10 ms hops.
/// - SpecAugment on the standardised spectrogram: `frequencyMasks` bands of up to `frequencyMaskBands` bands and
///   `timeMasks` spans of up to `timeMaskFrames` frames, each width uniform from 0, set to 0 (the mean).
public struct AudioAugmentation: Codable, Sendable, Equatable {
    public var speed: [Float] = [0.88, 1.12]
    public var gainDecibels: Float = 6
    public var shiftSeconds: Float = 0.1
    public var noiseProbability: Float = 0.5
    public var noiseSNR: [Float] = [5, 30]
    public var frequencyMasks = 2
    public var frequencyMaskBands = 6
    public var timeMasks = 2
    public var timeMaskFrames = 10

    public init() {}

    enum CodingKeys: String, CodingKey {
        case speed
        case gainDecibels = "gain_db"
        case shiftSeconds = "shift_seconds"
        case noiseProbability = "noise_probability"
        case noiseSNR = "noise_snr_db"
        case frequencyMasks = "frequency_masks"
        case frequencyMaskBands = "frequency_mask_bands"
        case timeMasks = "time_masks"
        case timeMaskFrames = "time_mask_frames"
    }

    /// Why these settings cannot be used, or nil.
    var problem: String? {
        typealias Check = AugmentationBounds
        let problems: [String?] = [
            Check.range(speed, "audio.speed", within: 0.25...4),
            Check.nonNegative(gainDecibels, "audio.gain_db"),
            Check.nonNegative(shiftSeconds, "audio.shift_seconds"),
            Check.probability(noiseProbability, "audio.noise_probability"),
            Check.range(noiseSNR, "audio.noise_snr_db", within: -60...120),
            Check.nonNegative(frequencyMasks, "audio.frequency_masks"),
            Check.nonNegative(frequencyMaskBands, "audio.frequency_mask_bands"),
            Check.nonNegative(timeMasks, "audio.time_masks"),
            Check.nonNegative(timeMaskFrames, "audio.time_mask_frames"),
        ]
        return problems.lazy.compactMap { $0 }.first
    }

    /// Speed and gain: the recording as another speaker, closer or farther, might have made it.
    func perturb(_ samples: [Float], sampleRate: Int, rng: inout SeededRNG) -> [Float] {
        let factor = rng.uniform(speed[0], speed[1])
        let gain = pow(10, rng.uniform(-gainDecibels, gainDecibels) / 20)
        let recordedRate = Int((Float(sampleRate) * factor).rounded())
        let resampled: [Float]
        if recordedRate != sampleRate,
            let resampler = try? AudioResampler(
                channels: 1, inputFormat: AV_SAMPLE_FMT_FLT, inputRate: recordedRate, outputRate: sampleRate,
                source: "augmentation")
        {
            resampled = resampler.convert(samples) + resampler.flush()
        } else {
            resampled = samples
        }
        return resampled.map { $0 * gain }
    }

    /// The window's shift, in samples.
    func shift(sampleRate: Int, rng: inout SeededRNG) -> Int {
        Int((rng.uniform(-shiftSeconds, shiftSeconds) * Float(sampleRate)).rounded())
    }

    /// Noise over the whole window, at a random signal-to-noise ratio.
    func addNoise(to window: inout [Float], sampleRate: Int, rng: inout SeededRNG) {
        guard rng.chance(noiseProbability) else { return }
        let ratio = rng.uniform(noiseSNR[0], noiseSNR[1])
        Self.addNoise(to: &window, decibels: ratio, pink: rng.chance(0.5), sampleRate: sampleRate, rng: &rng)
    }

    /// Adds white or pink noise at `decibels` below the signal, the signal's power taken over its louder half of
    /// 10 ms hops (so the silence around a word does not count); silence gets none.
    static func addNoise(
        to window: inout [Float], decibels: Float, pink: Bool, sampleRate: Int, rng: inout SeededRNG
    ) {
        let hop = max(1, sampleRate / 100)
        let hopPowers = stride(from: 0, to: window.count, by: hop).map { start in
            let end = min(window.count, start + hop)
            return window[start..<end].reduce(0) { $0 + $1 * $1 } / Float(end - start)
        }.sorted()
        let loud = hopPowers[(hopPowers.count / 2)...]
        let signalPower = loud.reduce(0, +) / Float(max(1, loud.count))
        guard signalPower > 0 else { return }
        let noisePower = signalPower / pow(10, decibels / 10)
        var noise = rng.normals(window.count)
        if pink {
            // Pink-ish: a one-pole low-pass (pole 0.85) tilts the noise toward low frequencies, as a room's
            // hum and traffic are.
            var state: Float = 0
            for index in noise.indices {
                state = 0.85 * state + noise[index]
                noise[index] = state
            }
        }
        let power = noise.reduce(0) { $0 + $1 * $1 } / Float(noise.count)
        let scale = (noisePower / max(power, 1e-12)).squareRoot()
        for index in window.indices { window[index] += noise[index] * scale }
    }

    /// SpecAugment's masks on a standardised (bands × frames) spectrogram.
    func mask(_ spectrogram: inout [Float], bands: Int, frames: Int, rng: inout SeededRNG) {
        for _ in 0..<frequencyMasks {
            let width = min(bands, Int(rng.uniform(0, Float(frequencyMaskBands + 1))))
            let first = Int(rng.uniform(0, Float(bands - width + 1)))
            for band in first..<first + width { for frame in 0..<frames { spectrogram[band * frames + frame] = 0 } }
        }
        for _ in 0..<timeMasks {
            let width = min(frames, Int(rng.uniform(0, Float(timeMaskFrames + 1))))
            let first = Int(rng.uniform(0, Float(frames - width + 1)))
            for band in 0..<bands { for frame in first..<first + width { spectrogram[band * frames + frame] = 0 } }
        }
    }
}
