/// What the Decode stage hands to the fusion stages for one item: what it shows and what it sounds like, either
/// of which may be missing (a record without `audio`, a silent video).
public struct MediaParts: Sendable, Equatable {
    public var image: Image?
    public var audio: Audio?

    public init(image: Image? = nil, audio: Audio? = nil) {
        self.image = image
        self.audio = audio
    }

    /// The parts present, image first: what the output's `parts` lists.
    public var present: [Modality] {
        (image == nil ? [] : [.image]) + (audio == nil ? [] : [.audio])
    }
}

extension MediaDecoder {
    /// Decodes an item into the parts the fusion stages join.
    ///
    /// - An item of parts (a record's `image` and `audio`, or its `video`): each part is decoded alone and must be
    ///   of the modality it is given as; its errors name its own file.
    /// - A video: its middle sampled frame, and its soundtrack when it has one.
    /// - A PNG or a WAV file alone: an item of that one part.
    ///
    /// - Throws: `DecodeError` for a part that cannot be decoded or is of another modality, a video without frames,
    ///   and text, which has no part to fuse.
    public func decodeParts(_ item: Item) throws(DecodeError) -> MediaParts {
        guard case .parts(let parts) = item.source else {
            return try Self.parts(of: try decode(item), id: item.id)
        }
        var decoded = MediaParts()
        for part in parts {
            let media = try decode(Item(id: part.name, source: part.source))
            guard media.modality == part.modality else {
                throw DecodeError(
                    part.name,
                    .unsupported("given as the item's \(part.modality), but it is \(media.modality)"))
            }
            let found = try Self.parts(of: media, id: part.name)
            decoded.image = found.image ?? decoded.image
            decoded.audio = found.audio ?? decoded.audio
        }
        guard !decoded.present.isEmpty else {
            throw DecodeError(item.id, .unsupported("the item has neither an image nor a sound"))
        }
        return decoded
    }

    private static func parts(of media: Media, id: String) throws(DecodeError) -> MediaParts {
        switch media {
        case .image(let image): return MediaParts(image: image)
        case .audio(let audio): return MediaParts(audio: audio)
        case .video(let video):
            guard !video.frames.isEmpty else { throw DecodeError(id, .unsupported("the video has no frames")) }
            return MediaParts(image: video.frames[video.frames.count / 2].image, audio: video.audio)
        case .text: throw DecodeError(id, .unsupported("text has no image or sound to fuse"))
        case .reducedAudio: throw DecodeError(id, .unsupported("the sound was summarised while decoding"))
        }
    }
}
