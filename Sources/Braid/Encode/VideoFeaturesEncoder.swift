/// Embeds a video by pooling an image encoder over its sampled frames and an audio encoder over its soundtrack.
///
/// The vector, `frames.dimension + soundtrack.dimension + 1` long (273 + 160 + 1 = 434 for the built-in
/// `features` and `logmel`), is the concatenation of:
/// 1. the mean of the frames' vectors, scaled to length 1/√2 (zeros when the video has no frames);
/// 2. the soundtrack's vector scaled to length 1/√2, or zeros when there is no audio track;
/// 3. a flag, 1/√2 when there is no audio track and 0 otherwise, so that a silent-film copy of a video still
///    shares its frames' half of the similarity but no longer looks like one with sound;
/// then L2-normalised. A video with neither frames nor audio throws `nothingToEncode`.
public struct VideoFeaturesEncoder: Encoder {
    public let name = "video"
    public let modality = Modality.video
    public var dimension: Int { frames.dimension + soundtrack.dimension + 1 }

    /// Embeds each sampled frame; its modality must be `.image`.
    public let frames: any Encoder
    /// Embeds the audio track; its modality must be `.audio`.
    public let soundtrack: any Encoder

    /// The soundtrack encoder when it can embed sound while the video decodes, so that the decoder need not
    /// keep the samples (``MediaDecoder/decode(_:soundtrack:)``).
    public var audioReducer: (any AudioReducer)? { soundtrack as? any AudioReducer }

    private static let blockWeight = Float(0.5).squareRoot()

    /// - Parameters:
    ///   - frames: An image encoder, run on all sampled frames of a video in one batch.
    ///   - soundtrack: An audio encoder.
    public init(frames: any Encoder, soundtrack: any Encoder) {
        precondition(
            frames.modality == .image && soundtrack.modality == .audio,
            "frame or soundtrack encoder of the wrong modality")
        self.frames = frames
        self.soundtrack = soundtrack
    }

    public func encode(_ inputs: [Media]) throws -> [[Float]] {
        try inputs.map { input in
            guard case .video(let video) = input else { throw wrongModality(input) }
            return try features(of: video)
        }
    }

    private func features(of video: Video) throws -> [Float] {
        guard !video.frames.isEmpty || video.hasAudio else {
            throw EncodeError.nothingToEncode(encoder: name, reason: "the video has neither frames nor an audio track")
        }
        var pooled = [Float](repeating: 0, count: frames.dimension)
        let frameVectors = try frames.encode(video.frames.map { Media.image($0.image) })
        for vector in frameVectors {
            for index in pooled.indices { pooled[index] += vector[index] }
        }
        var result: [Float] = []
        result.reserveCapacity(dimension)
        FeatureVector.append(pooled, weight: Self.blockWeight, to: &result)
        if let summary = video.audioSummary {
            guard summary.reducer == soundtrack.name, summary.values.count == soundtrack.dimension else {
                throw EncodeError.malformedInput(
                    encoder: name,
                    reason: "the soundtrack was summarised by '\(summary.reducer)', not by '\(soundtrack.name)'")
            }
            FeatureVector.append(summary.values, weight: Self.blockWeight, to: &result)
            result.append(0)
        } else if let audio = video.audio {
            FeatureVector.append(try soundtrack.encode(.audio(audio)), weight: Self.blockWeight, to: &result)
            result.append(0)
        } else {
            result.append(contentsOf: repeatElement(0, count: soundtrack.dimension))
            result.append(Self.blockWeight)
        }
        FeatureVector.normalize(&result)
        return result
    }
}
