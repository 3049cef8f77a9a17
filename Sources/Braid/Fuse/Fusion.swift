import BraidTensor
import Foundation

/// The Encode and Fuse stages of a multimodal job: each item's parts go through their encoders in one batch per
/// modality, then a fusion network joins them.
public struct Fusion: Sendable {
    /// How output and errors name the model the fusion belongs to.
    public let name: String
    let encoders: PartEncoders
    let network: FusionNetwork

    /// The Encode stage: each part made into its encoder's input, then one forward pass per modality.
    /// - Throws: `EncodeError` for an item whose part the front end cannot use (the stage then retries the items
    ///   one by one, so only that one fails).
    func encode(_ batch: [DecodedParts]) throws -> [EncodedItem] {
        let examples = try batch.map { try encoders.examples(of: $0.parts, id: $0.id) }
        return zip(batch, try encoders.encode(examples)).map { item, parts in
            EncodedItem(id: item.id, parts: parts)
        }
    }

    /// The Fuse stage: one pass of the fusion network over the batch.
    func fuse(_ batch: [EncodedItem]) -> [FusedItem] {
        let features = encoders.features(of: batch.map(\.parts))
        var rng = SeededRNG(seed: 0)
        let output = withNoGrad { network(features, training: false, rng: &rng) }
        let probabilities = output.logits?.softmax().scalars ?? []
        let classes = output.logits?.shape[1] ?? 0
        let embeddings = output.embedding.scalars
        let width = output.embedding.shape[1]
        let tokens = output.tokens?.scalars ?? []
        let tokenShape = Array(output.tokens?.shape.dropFirst() ?? [])
        let tokenCount = output.tokens == nil ? 0 : Shape.count(tokenShape)
        let (imageDecisions, audioDecisions) = (features.image.decision.scalars, features.audio.decision.scalars)
        let labels = encoders.labels.count
        return batch.indices.map { row in
            FusedItem(
                id: batch[row].id, parts: features.present(row),
                embedding: Array(embeddings[row * width..<(row + 1) * width]),
                probabilities: Array(probabilities[row * classes..<(row + 1) * classes]),
                tokens: tokenCount == 0 ? [] : Array(tokens[row * tokenCount..<(row + 1) * tokenCount]),
                tokenShape: tokenShape, tokenPresent: output.tokenPresent.isEmpty ? [] : output.tokenPresent[row],
                decisions: Array(imageDecisions[row * labels..<(row + 1) * labels])
                    + Array(audioDecisions[row * labels..<(row + 1) * labels]))
        }
    }
}

/// An item and its decoded parts, on their way to the encoders.
public struct DecodedParts: Identifiable, Sendable {
    public let item: Item
    public let parts: MediaParts

    public var id: String { item.id }
}

/// An item's parts as their encoders describe them, on their way to the Fuse stage.
public struct EncodedItem: Identifiable, Sendable {
    public let id: String
    let parts: EncodedParts
}

/// What the Fuse stage makes of one item, for the Generate stage or the output.
public struct FusedItem: Identifiable, Sendable {
    public let id: String
    /// The parts the item had, image first.
    public let parts: [Modality]
    /// The fused embedding `braid embed --fuse` writes.
    public let embedding: [Float]
    /// The joint decision's class probabilities; empty for a fusion that only feeds a decoder.
    public let probabilities: [Float]
    /// (T, W) fused tokens, row-major; empty for a fusion that keeps none.
    let tokens: [Float]
    let tokenShape: [Int]
    /// Per token, whether it belongs to a present part.
    let tokenPresent: [Bool]
    /// (2K): the part classifiers' log-probabilities, image then sound, zeros for a missing part; what a caption
    /// decoder starts from.
    let decisions: [Float]
}

extension Fusion {
    /// The fusion model `reference` names: `early`, `late` or `cross` for the shipped ones, else a model name or a
    /// folder's path.
    public init(named reference: String, modelsDirectory: URL? = nil) throws {
        let name =
            FusionArchitecture.allCases.first { $0.shortName == reference }?.shippedModel ?? reference
        let folder = try ModelLocator.folder(for: name, modelsDirectory: modelsDirectory)
        let (network, encoders) = try FusionNetwork.load(
            from: folder, scope: .loading(try folder.weights()), modelsDirectory: modelsDirectory)
        self.init(name: folder.name, encoders: encoders, network: network)
    }

    /// The classes of the joint decision (``FusedItem/probabilities``).
    public var labels: [String] { encoders.labels }
}
