/// Turns decoded media of one modality into fixed-length embedding vectors.
///
/// The Encode stage holds one encoder per modality and calls it from several tasks at once, so encoders are
/// `Sendable` and keep any precomputed tables immutable or behind a lock.
public protocol Encoder: Sendable {
    /// The name users select the encoder by, as in `--encoder image=features`.
    var name: String { get }

    /// The one modality this encoder accepts.
    var modality: Modality { get }

    /// The length of every vector `encode` returns.
    var dimension: Int { get }

    /// Embeds a batch; batching lets model-backed encoders run one forward pass for many inputs.
    ///
    /// - Parameter inputs: Media of `modality`, in any number (an empty batch returns no vectors).
    /// - Returns: One vector of `dimension` floats per input, in input order.
    /// - Throws: `EncodeError` for the first input of another modality or one that holds nothing to encode.
    func encode(_ inputs: [Media]) throws -> [[Float]]

    /// For an image encoder that shrinks every image: the shortest side it needs, so that the decoder may decode
    /// a JPEG already reduced (``JPEGDecoder/minimumSide``). nil when the encoder looks at every pixel.
    var minimumImageSide: Int? { get }
}

extension Encoder {
    public var minimumImageSide: Int? { nil }

    /// Embeds a single input: a batch of one.
    ///
    /// - Parameter input: Media of `modality`.
    public func encode(_ input: Media) throws -> [Float] {
        let vectors = try encode([input])
        guard let vector = vectors.first, vectors.count == 1 else {
            throw EncodeError.batchSizeMismatch(encoder: name, expected: 1, got: vectors.count)
        }
        return vector
    }

    /// The error for an input this encoder cannot take, so every encoder words it the same way.
    func wrongModality(_ input: Media) -> EncodeError {
        .wrongModality(encoder: name, expected: modality, got: input.modality)
    }
}
