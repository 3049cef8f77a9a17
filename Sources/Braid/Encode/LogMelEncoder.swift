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
            switch input {
            case .audio(let audio):
                return try features(of: audio)
            case .reducedAudio(let summary) where summary.reducer == name && summary.values.count == dimension:
                return summary.values
            case .reducedAudio(let summary):
                throw EncodeError.malformedInput(
                    encoder: name, reason: "the audio was summarised by '\(summary.reducer)', not by '\(name)'")
            default:
                throw wrongModality(input)
            }
        }
    }

    /// The samples go through ``LogMelStatistics`` a slice at a time, so a long clip costs no mono copy.
    private func features(of audio: Audio) throws -> [Float] {
        let statistics = try LogMelStatistics(
            analysis: analyses.analysis(forSampleRate: audio.sampleRate), channels: audio.channels, encoder: name)
        let sliceLength = (1 << 16) * audio.channels
        audio.samples.withUnsafeBufferPointer { samples in
            for start in stride(from: 0, to: samples.count, by: sliceLength) {
                statistics.consume(
                    UnsafeBufferPointer(rebasing: samples[start..<min(start + sliceLength, samples.count)]))
            }
        }
        return statistics.finish()
    }
}

extension LogMelEncoder: AudioReducer {
    public func makeReduction(sampleRate: Int, channels: Int) throws -> any AudioReduction {
        try LogMelStatistics(
            analysis: analyses.analysis(forSampleRate: sampleRate), channels: channels, encoder: name)
    }
}

/// The window, FFT size and filterbank for one sample rate, computed once.
struct LogMelAnalysis: Sendable {
    let hopLength: Int
    let fftSize: Int
    let window: [Float]
    let filterbank: MelFilterbank

    /// - Parameter bands: Mel bands from 0 Hz to `min(8000, sampleRate / 2)`.
    init(sampleRate: Int, bands: Int = LogMelEncoder.bandCount) {
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
            bandCount: bands, fftSize: fftSize, sampleRate: sampleRate, minimumFrequency: 0,
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
