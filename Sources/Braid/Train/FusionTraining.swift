import BraidTensor
import Foundation

/// Trains a fusion model on labelled pairs: cross-entropy on the joint decision (and a penalty on how much early and
/// cross-attention fusion correct the classifiers, ``correctionPenalty``), with the part encoders frozen and
/// every pair corrupted at random (``PairAugmentation``, the options' `pairs`), so the model learns which part to
/// trust when one is unclear or missing. Validation pairs are corrupted too, the same way every epoch (their
/// batches' seeds do not change), so the accuracy that picks the best epoch is the accuracy under damage: on clean
/// pairs every epoch scores about 100%.
public final class FusionTraining: TrainingTask {
    public struct Batch: Sendable {
        let features: PartFeatures
        let labels: [Int]
    }

    let network: FusionNetwork
    let encoders: PartEncoders
    let corruptions: PairAugmentation
    public let store: ParameterStore
    public let selection = (metric: "accuracy", higherIsBetter: true)

    /// A fresh fusion network of `architecture` over the encoders `names` names, its weights drawn from `seed`.
    public init(architecture: FusionArchitecture, encoders names: PartEncoders.Names, options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        encoders = try PartEncoders(names)
        network = try FusionNetwork(architecture: architecture, encoders: encoders, scope: scope)
        corruptions = options.augmentation.pairs
        store = scope.store
    }

    /// The network `folder`'s `config.json` describes, for resuming its run.
    init(folder: ModelFolder, options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        (network, encoders) = try FusionNetwork.load(from: folder, scope: scope)
        corruptions = options.augmentation.pairs
        store = scope.store
    }

    /// The classes, which the training data's labels must be.
    public var labels: [String] { encoders.labels }

    public func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch {
        Batch(
            features: try PairExample.features(
                of: examples, encoders: encoders, seed: seed,
                corruption: { [corruptions] rng in corruptions.draw(rng: &rng) }),
            labels: examples.map(\.label))
    }

    public func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics) {
        Self.loss(of: network(batch.features, training: training, rng: &rng), labels: batch.labels)
    }

    /// Cross-entropy on the joint decision, plus ``correctionPenalty`` times the mean square of the correction.
    static func loss(of output: FusionOutput, labels: [Int]) -> (loss: Tensor, metrics: Metrics) {
        guard let logits = output.logits else { preconditionFailure("a fusion classifier always has a decision head") }
        var loss = Tensor.crossEntropy(logits: logits, targets: labels)
        if let correction = output.correction {
            loss = loss + (correction * correction).mean() * correctionPenalty
        }
        let correct = zip(logits.argmax(axis: 1), labels).filter { $0 == $1 }.count
        let count = labels.count
        return (
            loss, Metrics(sums: ["loss": Double(loss.item) * Double(count), "accuracy": Double(correct)], count: count)
        )
    }
}

extension FusionTraining: TrainableModel {
    public var configuration: any Encodable & Sendable { network.configuration(encoders: encoders) }
    public var frontEnd: ExampleSet.FrontEnd { PairExample.frontEnd(encoders) }
}

extension FusionTraining {
    /// How much the correction of early and cross-attention fusion costs (``DecisionHead``). Without it the
    /// correction learns the digits again, where on parts they trained on the classifiers were right anyway, and on a
    /// new recording can read them worse than the sound classifier does: on pairs of parts both encoders held out,
    /// one recording the classifier hears as a 5 (p = 0.64) early fusion read as a 4 whenever the image was noise
    /// (0.9926 where the sound alone is 1.0000). At 0.01 it still did at σ ≥ 0.5; at 0.1 it misses at most two pairs
    /// of 10,000 at any level with a clear sound, and cross-attention fusion at most three. The price is paid where
    /// both parts are damaged (σ 0.3 with 0 dB on the test pairs: early 89% → 79%, cross-attention 94% → 84%), and
    /// training on pairs of held-out parts as well (`scripts/make-pairs.py`) won most of it back (85%, 93%).
    static let correctionPenalty: Float = 0.1

    /// Eight epochs of 12,000 pairs of parts the encoders trained on reach the encoders' own accuracy on clean
    /// pairs, but the rare pair where one part is clear and the other confidently wrong takes longer: at 20 epochs
    /// early and cross-attention fusion were at least as accurate as the better part at every level of
    /// `scripts/fusion-robustness` on the validation pairs, where at 8 each missed one level (late fusion three;
    /// one at 20). No label smoothing: the decision's confidence is what late fusion weighs.
    public static var defaultOptions: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = 20
        options.learningRate = 3e-3
        options.weightDecay = 0.01
        options.labelSmoothing = 0
        return options
    }
}
