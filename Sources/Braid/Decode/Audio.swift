/// Decoded audio: interleaved float samples in [-1, 1], frames × channels.
public struct Audio: Sendable, Equatable {
    public let sampleRate: Int
    public let channels: Int
    public var samples: [Float]

    public init(sampleRate: Int, channels: Int, samples: [Float]) {
        precondition(sampleRate > 0 && channels > 0, "invalid audio format")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    public var frameCount: Int { samples.count / channels }
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The average of the channels, one sample per frame.
    public func mono() -> Audio {
        if channels == 1 { return self }
        var mixed = [Float](repeating: 0, count: frameCount)
        let scale = 1 / Float(channels)
        for frame in 0..<frameCount {
            var sum: Float = 0
            for channel in 0..<channels { sum += samples[frame * channels + channel] }
            mixed[frame] = sum * scale
        }
        return Audio(sampleRate: sampleRate, channels: 1, samples: mixed)
    }
}
