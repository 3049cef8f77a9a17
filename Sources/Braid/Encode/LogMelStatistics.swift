import Foundation

/// Steps 1 to 6 of ``LogMelEncoder``'s recipe over samples that arrive in pieces.
///
/// It keeps less than one window of samples and the last five log-mel frames (the delta's reach), and gathers the
/// per-band statistics with Welford's update in Double, so memory stays the same for a clip of a second or of ten
/// hours, and a band that never changes keeps a deviation of exactly zero.
final class LogMelStatistics: AudioReduction {
    private static let bands = LogMelEncoder.bandCount
    /// Frames the delta of frame t reads: t−2 ... t+2.
    private static let reach = 5

    private let analysis: LogMelAnalysis
    private let fft: RealFFT
    private let channels: Int
    /// Mono samples from the first one not yet past a window start.
    private var pending: [Float] = []
    private var power: [Float]
    /// The last `reach` log-mel frames, frame t in slot t % reach: `(reach, bands)` row-major.
    private var recent: [Float]
    private var frameCount = 0
    private var delta = [Float](repeating: 0, count: LogMelStatistics.bands)
    private var levels = RunningMoments(count: LogMelStatistics.bands)
    private var deltas = RunningMoments(count: LogMelStatistics.bands)
    /// Sees each log-mel frame (step 4) as it is made; the librosa comparison reads the spectrogram through it.
    var frameObserver: ((UnsafeBufferPointer<Float>) -> Void)?

    init(analysis: LogMelAnalysis, channels: Int, encoder: String) throws {
        self.analysis = analysis
        self.channels = channels
        fft = try RealFFT(size: analysis.fftSize, encoder: encoder)
        power = [Float](repeating: 0, count: analysis.fftSize / 2 + 1)
        recent = [Float](repeating: 0, count: Self.reach * Self.bands)
        pending.reserveCapacity(analysis.window.count * 2)
    }

    func consume(_ samples: UnsafeBufferPointer<Float>) {
        if channels == 1 {
            pending.append(contentsOf: samples)
        } else {
            // The channel average, summed in the same order as `Audio.mono()`.
            let scale = 1 / Float(channels)
            for frame in 0..<(samples.count / channels) {
                var sum: Float = 0
                for channel in 0..<channels { sum += samples[frame * channels + channel] }
                pending.append(sum * scale)
            }
        }
        let windowLength = analysis.window.count
        var start = 0
        while pending.count - start >= windowLength {
            analyseWindow(at: start)
            start += analysis.hopLength
        }
        pending.removeFirst(start)
    }

    func finish() -> [Float] {
        if frameCount == 0 {
            // A clip shorter than one window is zero-padded to one window.
            pending.append(contentsOf: repeatElement(0, count: analysis.window.count - pending.count))
            analyseWindow(at: 0)
        }
        for frame in max(0, frameCount - 2)..<frameCount { addDelta(ofFrame: frame) }
        // In Double, so a clip whose bands all share one mean (silence) centres to exactly zero.
        let level = levels.mean.reduce(0, +) / Double(Self.bands)
        var vector =
            levels.mean.map { Float($0 - level) } + levels.deviations + deltas.mean.map(Float.init) + deltas.deviations
        FeatureVector.normalize(&vector)
        return vector
    }

    /// Steps 1 to 4 for the window starting at `pending[start]`, then the statistics of the new frame.
    private func analyseWindow(at start: Int) {
        let windowLength = analysis.window.count
        pending.withUnsafeBufferPointer { samples in
            analysis.window.withUnsafeBufferPointer { window in
                for index in 0..<windowLength { fft.input[index] = samples[start + index] * window[index] }
            }
        }
        // Zero the tail every time: av_tx does not promise to leave its input untouched.
        for index in windowLength..<analysis.fftSize { fft.input[index] = 0 }
        fft.transform()
        for bin in power.indices {
            let value = fft.output[bin]
            power[bin] = value.re * value.re + value.im * value.im
        }
        let slot = frameCount % Self.reach
        recent.withUnsafeMutableBufferPointer { recent in
            let energies = UnsafeMutableBufferPointer(rebasing: recent[(slot * Self.bands)..<((slot + 1) * Self.bands)])
            power.withUnsafeBufferPointer { analysis.filterbank.apply(to: $0, into: energies) }
            for band in energies.indices { energies[band] = log(energies[band] + LogMelEncoder.floor) }
            levels.add(UnsafeBufferPointer(energies))
            frameObserver?(UnsafeBufferPointer(energies))
        }
        frameCount += 1
        // Frame t's delta needs frame t+2, which has just arrived for t = frameCount − 3.
        if frameCount >= 3 { addDelta(ofFrame: frameCount - 3) }
    }

    /// Step 5 for one frame, the first and last frames repeated past the ends of the frames seen so far.
    private func addDelta(ofFrame frame: Int) {
        func row(_ offset: Int) -> Int { (min(frameCount - 1, max(0, frame + offset)) % Self.reach) * Self.bands }
        for band in 0..<Self.bands {
            let near = recent[row(1) + band] - recent[row(-1) + band]
            let far = recent[row(2) + band] - recent[row(-2) + band]
            delta[band] = (near + 2 * far) / 10
        }
        delta.withUnsafeBufferPointer { deltas.add($0) }
    }
}

/// Per-component mean and population deviation of a stream of vectors, by Welford's update in Double.
private struct RunningMoments {
    private(set) var mean: [Double]
    private var squaredDistances: [Double]
    private var count = 0

    init(count: Int) {
        mean = [Double](repeating: 0, count: count)
        squaredDistances = [Double](repeating: 0, count: count)
    }

    mutating func add(_ values: UnsafeBufferPointer<Float>) {
        count += 1
        for index in mean.indices {
            let value = Double(values[index])
            let before = value - mean[index]
            mean[index] += before / Double(count)
            squaredDistances[index] += before * (value - mean[index])
        }
    }

    var deviations: [Float] {
        squaredDistances.map { count > 0 ? Float(($0 / Double(count)).squareRoot()) : 0 }
    }
}
