extension Media {
    /// The facts an output record's `meta` carries about what was decoded.
    public var meta: [String: MetaValue] {
        switch self {
        case .text(let text):
            return ["characters": .integer(text.string.count), "encoding": .string(text.encoding.rawValue)]
        case .image(let image):
            var meta: [String: MetaValue] = [
                "width": .integer(image.width), "height": .integer(image.height), "channels": .integer(image.channels),
            ]
            if let orientation = image.orientation { meta["exif_orientation"] = .integer(orientation.rawValue) }
            if let frames = image.animationFrames {
                meta["animated"] = .bool(true)
                meta["animation_frames"] = .integer(frames)
            }
            return meta
        case .audio(let audio):
            return [
                "sample_rate": .integer(audio.sampleRate), "channels": .integer(audio.channels),
                "frames": .integer(audio.frameCount), "duration": .number(audio.duration),
            ]
        case .reducedAudio(let summary):
            return [
                "sample_rate": .integer(summary.sampleRate), "channels": .integer(summary.channels),
                "frames": .integer(summary.frameCount), "duration": .number(summary.duration),
            ]
        case .video(let video):
            var meta: [String: MetaValue] = [
                "frames": .integer(video.frames.count), "fps": .number(video.frameRate),
                "duration": .number(video.duration),
                "has_audio": .bool(video.hasAudio),
            ]
            if let first = video.frames.first?.image {
                meta["width"] = .integer(first.width)
                meta["height"] = .integer(first.height)
            }
            if let sampleRate = video.audio?.sampleRate ?? video.audioSummary?.sampleRate {
                meta["sample_rate"] = .integer(sampleRate)
            }
            return meta
        }
    }
}
