import BraidTensor
import Foundation

/// Embeds images, texts or videos with one CLIP checkpoint, so that all three land in its one space: an image
/// through the vision tower, a text through the text tower, a video as the mean of its sampled frames' image
/// vectors. Every vector is projected and L2-normalised, so a dot product is the cosine CLIP ranks by.
public struct CLIPEncoder: Encoder {
    public let name: String
    public let modality: Modality
    public let checkpoint: CLIPCheckpoint

    public var dimension: Int { checkpoint.model.configuration.projectionDim }

    /// - Parameters:
    ///   - name: How outputs name the encoder: `clip`, or the model reference the user gave.
    ///   - modality: `.image`, `.text` or `.video`.
    public init(name: String, modality: Modality, checkpoint: CLIPCheckpoint) {
        precondition([.image, .text, .video].contains(modality), "CLIP embeds images, texts and videos")
        self.name = name
        self.modality = modality
        self.checkpoint = checkpoint
    }

    public func encode(_ inputs: [Media]) throws -> [[Float]] {
        switch modality {
        case .text:
            let texts = try inputs.map { input in
                guard case .text(let text) = input else { throw wrongModality(input) }
                return text.string
            }
            return embed(texts: texts)
        case .video:
            return try inputs.map { input in
                guard case .video(let video) = input else { throw wrongModality(input) }
                guard !video.frames.isEmpty else {
                    throw EncodeError.nothingToEncode(encoder: name, reason: "the video has no frames")
                }
                let frames = try embed(images: video.frames.map(\.image))
                var mean = frames.dropFirst().reduce(frames[0]) { sum, frame in zip(sum, frame).map(+) }
                FeatureVector.normalize(&mean)
                return mean
            }
        default:
            return try embed(images: inputs.map { input in
                guard case .image(let image) = input else { throw wrongModality(input) }
                return image
            })
        }
    }

    /// The unit-length image vectors of `images`, in order, from one forward pass.
    public func embed(images: [Image]) throws -> [[Float]] {
        guard !images.isEmpty else { return [] }
        let processor = checkpoint.imageProcessor
        let pixels = try images.flatMap { try processor.pixelValues($0, encoder: name) }
        let side = checkpoint.model.configuration.visionConfig.imageSize
        let batch = Tensor(pixels, shape: [images.count, 3, side, side])  // (B, C, S, S)
        return Self.normalizedRows(checkpoint.model.imageFeatures(batch))
    }

    /// The unit-length text vectors of `texts`, in order, from one forward pass.
    public func embed(texts: [String]) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        return Self.normalizedRows(checkpoint.model.textFeatures(texts.map(checkpoint.tokenizer.encode)))
    }

    /// Each row of `(B, K)`, scaled to length 1 (an all-zero row stays zero).
    private static func normalizedRows(_ features: Tensor) -> [[Float]] {
        let width = features.shape[1]
        let values = features.scalars
        return (0..<features.shape[0]).map { row in
            var vector = Array(values[(row * width)..<((row + 1) * width)])
            FeatureVector.normalize(&vector)
            return vector
        }
    }
}
