/// Folds audio into a fixed-size summary while it decodes, so that a long clip or a long video's soundtrack never
/// sits in memory whole. An audio encoder that can embed sound piece by piece offers itself as one.
public protocol AudioReducer: Sendable {
    /// Recorded with the summary, so that an encoder uses only a summary it would have made itself.
    var name: String { get }
    /// A fresh reduction for one clip or soundtrack of this format.
    func makeReduction(sampleRate: Int, channels: Int) throws -> any AudioReduction
}

/// The running state of one reduction; the decoder owns it for the length of one clip or video.
public protocol AudioReduction: AnyObject {
    /// Takes the next samples: whole frames, interleaved by channel, in [-1, 1].
    func consume(_ samples: UnsafeBufferPointer<Float>)
    /// The summary of everything consumed.
    func finish() -> [Float]
}

/// What an ``AudioReducer`` made of a clip or a soundtrack, with the facts the samples would have told.
public struct AudioSummary: Sendable, Equatable {
    public var reducer: String
    public var sampleRate: Int
    public var channels: Int
    /// Sample frames (one sample per channel) that went into the summary.
    public var frameCount: Int
    public var values: [Float]

    public init(reducer: String, sampleRate: Int, channels: Int, frameCount: Int, values: [Float]) {
        self.reducer = reducer
        self.sampleRate = sampleRate
        self.channels = channels
        self.frameCount = frameCount
        self.values = values
    }

    public var duration: Double { Double(frameCount) / Double(sampleRate) }
}
