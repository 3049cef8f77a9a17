import BraidTensor
import Foundation

/// A trained classifier loaded from its model folder, ready to label and embed media of its modality.
///
/// Its batch norms are folded into the layers before them, so inference runs one pass per layer.
public final class Classifier: Sendable {
    /// The model as it was named: a shipped name or a folder's path.
    public let name: String
    /// The class names, in the order of the network's outputs.
    public let labels: [String]
    let network: ClassifierNetwork
    /// T and C of ``Prediction/tokens``.
    public let tokenShape: [Int]

    /// One item's result.
    public struct Prediction: Sendable, Equatable {
        /// One probability per label, summing to 1.
        public var probabilities: [Float]
        /// The hidden layer's activations, L2-normalised.
        public var embedding: [Float]
        /// The last convolution stage's positions, row-major (T, C): an image's grid cells or a sound's time steps,
        /// for the fusion stages to attend over; empty unless asked for.
        public var tokens: [Float] = []
        /// T and C of `tokens`.
        public var tokenShape: [Int] = []
    }

    /// Loads the classifier in `folder`.
    /// - Throws: `ModelError` or `WeightError` naming the file that is missing or does not fit: a config that is not
    ///   a classifier's, a missing tensor, a tensor of the wrong shape.
    public init(folder: ModelFolder) throws {
        let (network, labels) = try ClassifierNetwork.load(from: folder, scope: .loading(try folder.weights()))
        self.name = folder.name
        self.labels = labels
        let folded = network.folded()
        self.network = folded
        // (1, C, T) from a blank input -> (T, C).
        var rng = SeededRNG(seed: 0)
        let probe = Tensor.zeros([1] + network.inputShape)
        tokenShape = withNoGrad { folded(probe, training: false, rng: &rng).positions.shape.dropFirst().reversed() }
    }

    /// Loads the classifier `reference` names (see ``ModelLocator/folder(for:modelsDirectory:environment:)``).
    public convenience init(named reference: String, modelsDirectory: URL? = nil) throws {
        try self.init(folder: try ModelLocator.folder(for: reference, modelsDirectory: modelsDirectory))
    }

    public var modality: Modality { network.modality }

    /// The length of ``Prediction/embedding``.
    public var embeddingSize: Int { network.embeddingSize }

    /// The network's input for one item, (1, H, W): what ``logits(for:)`` takes per item.
    public var inputShape: [Int] { network.inputShape }

    /// The side of an image classifier's square digit and a sound classifier's sample rate: what corruptions
    /// apply to.
    var imageSide: Int { modality == .image ? inputShape.last ?? 0 : 0 }
    var sampleRate: Int {
        if case .audio(_, let frontEnd) = network { return frontEnd.sampleRate }
        return 0
    }

    /// An example the front end made, damaged as `corruption` says for this classifier's modality.
    func corrupt(_ example: [Float], by corruption: PartCorruption, rng: inout SeededRNG) -> [Float] {
        let part = modality == .image ? PartExamples(image: example) : PartExamples(audio: example)
        let corrupted = corruption.apply(to: part, side: imageSide, sampleRate: sampleRate, rng: &rng)
        return corrupted.image ?? corrupted.audio ?? example
    }

    /// The class scores of a batch of inputs the front end already made, (B, 1, H, W) -> (B, K): the network alone,
    /// as `braid bench classifier` times it.
    public func logits(for inputs: Tensor) -> Tensor {
        var rng = SeededRNG(seed: 0)
        return withNoGrad { network(inputs, training: false, rng: &rng).logits }
    }

    /// Labels and embeds a batch in one forward pass.
    /// - Parameters:
    ///   - media: Decoded items of ``modality``.
    ///   - ids: Their ids, for errors.
    /// - Throws: `EncodeError` for the first item the front end cannot use (the pipeline then retries the items
    ///   one by one, so only that one fails).
    ///   - tokens: Whether to fill ``Prediction/tokens``.
    public func predict(_ media: [Media], ids: [String], tokens: Bool = false) throws -> [Prediction] {
        try predict(
            examples: zip(media, ids).map { media, id in try network.example(from: media, id: id) }, tokens: tokens)
    }

    /// Labels and embeds a batch of examples its front end made (``example(from:id:)``).
    func predict(examples: [[Float]], tokens wantsTokens: Bool = false) throws -> [Prediction] {
        guard !examples.isEmpty else { return [] }
        var rng = SeededRNG(seed: 0)
        let inputs = try network.inputs(of: examples, augmentation: nil, seed: 0)
        let output = withNoGrad { network(inputs, training: false, rng: &rng) }
        let probabilities = output.logits.softmax().scalars
        let embeddings = output.embedding.scalars
        let (classes, width) = (labels.count, embeddingSize)
        let tokenTensor = wantsTokens ? output.tokens : nil
        let (tokens, tokenShape) = (tokenTensor?.scalars ?? [], Array(tokenTensor?.shape.dropFirst() ?? []))
        let tokenCount = Shape.count(tokenShape)
        return (0..<examples.count).map { row in
            var embedding = Array(embeddings[row * width..<(row + 1) * width])
            FeatureVector.normalize(&embedding)
            var prediction = Prediction(
                probabilities: Array(probabilities[row * classes..<(row + 1) * classes]), embedding: embedding)
            if wantsTokens {
                prediction.tokens = Array(tokens[row * tokenCount..<(row + 1) * tokenCount])
                prediction.tokenShape = tokenShape
            }
            return prediction
        }
    }

    /// What the front end keeps of a decoded item.
    func example(from media: Media, id: String) throws -> [Float] {
        try network.example(from: media, id: id)
    }
}
