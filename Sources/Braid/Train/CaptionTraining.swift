import BraidTensor
import Foundation

/// Trains a caption model on pairs whose label is their caption: next-word cross-entropy with the part encoders
/// frozen, the fusion and the decoder learning together. Training pairs get mild noise (the `pairs` augmentation of
/// ``defaultOptions``), so captions hold up on digits less clean than the training set's. The share of validation
/// captions the decoder writes exactly, each word predicted from the true words before it, picks the best epoch.
public final class CaptionTraining: TrainingTask {
    public struct Batch: Sendable {
        let features: PartFeatures
        /// Each caption, start marker first, padded with end markers to the batch's longest.
        let inputs: [[Int]]
        /// Each caption's next words, end marker last, padded with -1 (no target).
        let targets: [[Int]]
    }

    let network: CaptionNetwork
    let encoders: PartEncoders
    /// The data's captions as word ids, cut to the decoder's length, in the order examples' labels index them:
    /// tokenised once, not per example.
    let captionWords: [[Int]]
    let corruptions: PairAugmentation
    public let store: ParameterStore
    public let selection = (metric: "exact", higherIsBetter: true)

    /// A fresh caption model over the encoders `names` names, its vocabulary the words of `captions`; `closed`, it
    /// writes only those captions.
    public init(
        encoders names: PartEncoders.Names, captions: [String], closed: Bool, options: TrainingOptions
    ) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        encoders = try PartEncoders(names)
        let vocabulary = CaptionVocabulary(captions: captions)
        var configuration = CaptionConfiguration(encoders: names)
        if closed { configuration.captions = Array(Set(captions)).sorted() }
        configuration.decoder.maxLength = max(
            configuration.decoder.maxLength, 1 + (captions.map { vocabulary.encode($0).count }.max() ?? 0))
        network = try CaptionNetwork(
            configuration: configuration, vocabulary: vocabulary, encoders: encoders, scope: scope)
        captionWords = Self.words(of: captions, network: network)
        corruptions = options.augmentation.pairs
        store = scope.store
    }

    /// The model `folder` describes, for resuming its run on data whose captions are `captions`.
    init(folder: ModelFolder, captions: [String], options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        (network, encoders) = try CaptionNetwork.load(from: folder, scope: scope)
        captionWords = Self.words(of: captions, network: network)
        corruptions = options.augmentation.pairs
        store = scope.store
    }

    /// Each caption's ids, room left for the end marker.
    private static func words(of captions: [String], network: CaptionNetwork) -> [[Int]] {
        captions.map { Array(network.vocabulary.encode($0).prefix(network.decoder.configuration.maxLength - 1)) }
    }

    public func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch {
        let vocabulary = network.vocabulary
        let words = examples.map { captionWords[$0.label] }
        let length = (words.map(\.count).max() ?? 0) + 1
        return Batch(
            features: try PairExample.features(
                of: examples, encoders: encoders, seed: seed,
                corruption: augment ? { [corruptions] rng in corruptions.draw(rng: &rng) } : nil),
            inputs: words.map {
                [vocabulary.startID] + $0 + Array(repeating: vocabulary.endID, count: length - 1 - $0.count)
            },
            targets: words.map { $0 + [vocabulary.endID] + Array(repeating: -1, count: length - 1 - $0.count) })
    }

    public func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics) {
        let fused = network.fusion(batch.features)
        guard let memory = fused.tokens else { preconditionFailure("cross-attention fusion always keeps its tokens") }
        let logits = network.decoder.logits(
            prefixes: batch.inputs, memory: memory, memoryPresent: fused.tokenPresent,
            decisions: CaptionDecoder.Decisions(batch.features))
        let (count, length, words) = (batch.inputs.count, batch.inputs[0].count, network.vocabulary.count)
        // (B, T, V) -> (B·T, V) against one-hot rows, zero rows where there is no target.
        let flat = logits.reshaped([count * length, words])
        var oneHot = [Float](repeating: 0, count: count * length * words)
        let targets = batch.targets.flatMap { $0 }
        for (row, target) in targets.enumerated() where target >= 0 { oneHot[row * words + target] = 1 }
        let valid = targets.filter { $0 >= 0 }.count
        // crossEntropy averages over all B·T rows; rescale to the mean over real targets.
        let loss =
            Tensor.crossEntropy(logits: flat, probabilities: Tensor(oneHot, shape: flat.shape))
            * (Float(count * length) / Float(max(1, valid)))
        let predicted = flat.argmax(axis: 1)
        var (exact, correctWords) = (0, 0)
        for sequence in 0..<count {
            let range = sequence * length..<(sequence + 1) * length
            let right = range.filter { targets[$0] >= 0 && predicted[$0] == targets[$0] }.count
            correctWords += right
            if right == range.filter({ targets[$0] >= 0 }).count { exact += 1 }
        }
        return (
            loss,
            Metrics(
                sums: [
                    "loss": Double(loss.item) * Double(count), "exact": Double(exact),
                    "word_accuracy": Double(correctWords) * Double(count) / Double(max(1, valid)),
                ], count: count)
        )
    }
}

extension CaptionTraining: TrainableModel {
    public var configuration: any Encodable & Sendable { network.configuration }
    public var frontEnd: ExampleSet.FrontEnd { PairExample.frontEnd(encoders) }
    public var companionFiles: [String: any Encodable & Sendable] { ["tokenizer.json": network.vocabulary] }
}

extension CaptionTraining {
    /// A small decoder on a closed vocabulary: 64 pairs a step, a higher rate than a classifier's. Mild noise on
    /// each part of a third of the training pairs, and no occlusion or dropped part: missing parts come from the
    /// records themselves, and a caption must name what is there, not guess it.
    public static var defaultOptions: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = 10
        options.batchSize = 64
        options.learningRate = 2e-3
        options.weightDecay = 0.01
        options.labelSmoothing = 0
        options.augmentation.pairs.imageNoiseProbability = 0.3
        options.augmentation.pairs.imageNoise = [0, 0.5]
        options.augmentation.pairs.occlusionProbability = 0
        options.augmentation.pairs.audioNoiseProbability = 0.3
        options.augmentation.pairs.audioSNR = [5, 30]
        options.augmentation.pairs.dropProbability = 0
        return options
    }
}
