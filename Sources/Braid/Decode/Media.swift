/// What the Decode stage hands to the Encode stage: one decoded item of any modality.
public enum Media: Sendable, Equatable {
    case text(Text)
    case image(Image)
    case audio(Audio)
    /// Audio that an ``AudioReducer`` summarised while it decoded, instead of keeping its samples.
    case reducedAudio(AudioSummary)
    case video(Video)

    public var modality: Modality {
        switch self {
        case .text: .text
        case .image: .image
        case .audio, .reducedAudio: .audio
        case .video: .video
        }
    }
}

/// The four kinds of data Braid decodes, encodes and fuses.
public enum Modality: String, Sendable, CaseIterable, Codable {
    case text, image, audio, video
}
