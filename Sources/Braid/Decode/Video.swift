/// One decoded video frame, converted to packed RGB (3 channels, 8-bit).
public struct VideoFrame: Sendable, Equatable {
    /// Position of the frame in decode order among all frames of the stream (before sampling).
    public let index: Int
    /// Presentation time in seconds, as the container stamps it (ffprobe's `pts_time`).
    public let timestamp: Double
    public let isKeyFrame: Bool
    public let image: Image

    public init(index: Int, timestamp: Double, isKeyFrame: Bool, image: Image) {
        self.index = index
        self.timestamp = timestamp
        self.isKeyFrame = isKeyFrame
        self.image = image
    }
}

/// The sampled frames of a video and its audio track, if it has one: as samples, or as the summary a
/// ``AudioReducer`` made of them while decoding.
public struct Video: Sendable, Equatable {
    public var frames: [VideoFrame]
    public var audio: Audio?
    public var audioSummary: AudioSummary?
    public var frameRate: Double
    public var duration: Double

    public init(
        frames: [VideoFrame], audio: Audio?, audioSummary: AudioSummary? = nil, frameRate: Double,
        duration: Double
    ) {
        self.frames = frames
        self.audio = audio
        self.audioSummary = audioSummary
        self.frameRate = frameRate
        self.duration = duration
    }

    public var hasAudio: Bool { audio != nil || audioSummary != nil }
}
