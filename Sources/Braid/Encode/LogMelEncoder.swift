import CFFmpeg
import Foundation

/// Embeds audio by statistics of its log-mel spectrogram; needs no model files.
///
/// The exact recipe, at the clip's own sample rate `sr` (nothing is resampled):
/// 1. Mix to mono (the channel average). A clip shorter than one window is zero-padded to one window.
/// 2. Frames: windows of `round(0.025 sr)` samples every `round(0.010 sr)` samples (25 ms / 10 ms, halves
///    rounded up), starting at sample 0, without padding at either end; samples after the last whole window are
///    not used. Each frame is multiplied by a periodic Hann window `0.5 − 0.5 cos(2πn / length)` and zero-padded
///    at the end to the FFT size, the smallest power of two not below the window length.
/// 3. Power spectrum `|X[k]|²` of FFmpeg's real FFT (unnormalised), k = 0...fftSize/2.
/// 4. 40 mel bands from 0 Hz to `min(8000, sr / 2)`: see `MelFilterbank` (Slaney scale and area normalisation,
///    as librosa's default `filters.mel`). Log-mel value: `ln(energy + 1e-6)`.
/// 5. Deltas per band, the HTK regression over ±2 frames with the first and last frame repeated at the ends:
///    `d[t] = (c[t+1] − c[t−1] + 2 (c[t+2] − c[t−2])) / 10`.
/// 6. Per band over time: mean `m`, standard deviation `s` (population), the deltas' mean `dm` and standard
///    deviation `ds`. The vector is `[m − mean(m), s, dm, ds]` (4 × 40 = 160 values), L2-normalised. Subtracting
///    the band-average of `m` removes the overall level, so the same sound played louder embeds alike; a clip
///    without any variation (digital silence) therefore embeds as all zeros.
///
/// Steps 2 to 6 agree with librosa 0.11 (`feature.melspectrogram`, `feature.delta(width=5, mode="nearest")`) to
/// within 1e-4; `scripts/make-logmel-reference.py` makes the values the tests compare against.
public struct LogMelEncoder: Encoder {
    public let name = "logmel"
    public let modality = Modality.audio
    public var dimension: Int { 4 * Self.bandCount }

    static let bandCount = 40
    static let maximumFrequency = 8000.0
    static let floor: Float = 1e-6

    private let analyses = AnalysisCache()

    public init() {}

    public func encode(_ inputs: [Media]) throws -> [[Float]] {
        try inputs.map { input in
            guard case .audio(let audio) = input else { throw wrongModality(input) }
            return try features(of: audio)
        }
    }

    private func features(of audio: Audio) throws -> [Float] {
        let frames = try logMelFrames(of: audio)
        return Self.statistics(of: frames.values, frameCount: frames.count)
    }

    /// The log-mel spectrogram, `(frameCount, 40)` row-major: steps 1 to 4 of the recipe.
    func logMelFrames(of audio: Audio) throws -> (values: [Float], count: Int) {
        let analysis = analyses.analysis(forSampleRate: audio.sampleRate)
        var samples = audio.mono().samples
        let windowLength = analysis.window.count
        if samples.count < windowLength {
            samples.append(contentsOf: repeatElement(0, count: windowLength - samples.count))
        }
        let frameCount = 1 + (samples.count - windowLength) / analysis.hopLength
        let fft = try RealFFT(size: analysis.fftSize, encoder: name)
        let bands = Self.bandCount
        var power = [Float](repeating: 0, count: analysis.fftSize / 2 + 1)
        var values = [Float](repeating: 0, count: frameCount * bands)
        samples.withUnsafeBufferPointer { samples in
            analysis.window.withUnsafeBufferPointer { window in
                for frame in 0..<frameCount {
                    let start = frame * analysis.hopLength
                    for index in 0..<windowLength {
                        fft.input[index] = samples[start + index] * window[index]
                    }
                    // Zero the tail every time: av_tx does not promise to leave its input untouched.
                    for index in windowLength..<analysis.fftSize { fft.input[index] = 0 }
                    fft.transform()
                    for bin in power.indices {
                        let value = fft.output[bin]
                        power[bin] = value.re * value.re + value.im * value.im
                    }
                    values.withUnsafeMutableBufferPointer { values in
                        let energies = UnsafeMutableBufferPointer(
                            rebasing: values[(frame * bands)..<((frame + 1) * bands)])
                        power.withUnsafeBufferPointer { analysis.filterbank.apply(to: $0, into: energies) }
                        for band in energies.indices { energies[band] = log(energies[band] + Self.floor) }
                    }
                }
            }
        }
        return (values, frameCount)
    }

    /// Steps 5 and 6 of the recipe.
    static func statistics(of frames: [Float], frameCount: Int) -> [Float] {
        let bands = bandCount
        var deltas = [Float](repeating: 0, count: frames.count)
        for frame in 0..<frameCount {
            func clamped(_ offset: Int) -> Int { min(frameCount - 1, max(0, frame + offset)) * bands }
            for band in 0..<bands {
                let near = frames[clamped(1) + band] - frames[clamped(-1) + band]
                let far = frames[clamped(2) + band] - frames[clamped(-2) + band]
                deltas[frame * bands + band] = (near + 2 * far) / 10
            }
        }
        let (means, deviations) = meanAndDeviation(frames, frameCount: frameCount)
        let (deltaMeans, deltaDeviations) = meanAndDeviation(deltas, frameCount: frameCount)
        // In Double, so a clip whose bands all share one mean (silence) centres to exactly zero.
        let level = means.reduce(0, +) / Double(bands)
        var vector = means.map { Float($0 - level) } + deviations + deltaMeans.map(Float.init) + deltaDeviations
        FeatureVector.normalize(&vector)
        return vector
    }

    /// Per band of `(frameCount, bandCount)` values: the mean and population standard deviation over frames.
    private static func meanAndDeviation(_ values: [Float], frameCount: Int) -> (mean: [Double], deviation: [Float]) {
        var means: [Double] = []
        var deviations: [Float] = []
        for band in 0..<bandCount {
            var sum: Double = 0
            for frame in 0..<frameCount { sum += Double(values[frame * bandCount + band]) }
            let mean = sum / Double(frameCount)
            var squares: Double = 0
            for frame in 0..<frameCount {
                let difference = Double(values[frame * bandCount + band]) - mean
                squares += difference * difference
            }
            means.append(mean)
            deviations.append(Float((squares / Double(frameCount)).squareRoot()))
        }
        return (means, deviations)
    }
}

/// The window, FFT size and filterbank for one sample rate, computed once.
struct LogMelAnalysis: Sendable {
    let hopLength: Int
    let fftSize: Int
    let window: [Float]
    let filterbank: MelFilterbank

    init(sampleRate: Int) {
        // Integer rounding (halves up) so 0.010 × 22050 = 220.5 gives 221 with no floating-point doubt.
        let windowLength = max(1, (sampleRate * 25 + 500) / 1000)
        hopLength = max(1, (sampleRate * 10 + 500) / 1000)
        var fftSize = 2
        while fftSize < windowLength { fftSize *= 2 }
        self.fftSize = fftSize
        window = (0..<windowLength).map { index in
            Float(0.5 - 0.5 * cos(2 * Double.pi * Double(index) / Double(windowLength)))
        }
        filterbank = MelFilterbank(
            bandCount: LogMelEncoder.bandCount, fftSize: fftSize, sampleRate: sampleRate, minimumFrequency: 0,
            maximumFrequency: min(LogMelEncoder.maximumFrequency, Double(sampleRate) / 2))
    }
}

/// Analyses by sample rate, shared by the tasks that use one encoder.
private final class AnalysisCache: @unchecked Sendable {
    // @unchecked: `byRate` is only touched while `lock` is held.
    private let lock = NSLock()
    private var byRate: [Int: LogMelAnalysis] = [:]

    func analysis(forSampleRate sampleRate: Int) -> LogMelAnalysis {
        lock.lock()
        defer { lock.unlock() }
        if let cached = byRate[sampleRate] { return cached }
        let analysis = LogMelAnalysis(sampleRate: sampleRate)
        byRate[sampleRate] = analysis
        return analysis
    }
}
