import BraidTensor
import Foundation

/// Trains a classifier: cross-entropy (with label smoothing) on the network's logits, accuracy as the figure that
/// picks the best epoch.
public final class ClassifierTraining: TrainingTask {
    public struct Batch: Sendable {
        /// (B, 1, H, W)
        let inputs: Tensor
        let labels: [Int]
    }

    let network: ClassifierNetwork
    public let store: ParameterStore
    let labels: [String]
    let augmentation: Augmentation
    let labelSmoothing: Float

    public let selection = (metric: "accuracy", higherIsBetter: true)

    /// A fresh network of `architecture` for `labels`, its weights drawn from `seed`.
    public init(architecture: ClassifierArchitecture, labels: [String], options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        network = try ClassifierNetwork(architecture: architecture, classes: labels.count, scope: scope)
        store = scope.store
        self.labels = labels
        augmentation = options.augmentation
        labelSmoothing = options.labelSmoothing
    }

    /// The network `folder`'s `config.json` describes, its weights drawn from `seed` until a checkpoint replaces
    /// them (resuming a run).
    init(folder: ModelFolder, options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        (network, labels) = try ClassifierNetwork.load(from: folder, scope: scope)
        store = scope.store
        augmentation = options.augmentation
        labelSmoothing = options.labelSmoothing
    }

    /// The front end a fresh network of `architecture` has, before its labels are known.
    static func frontEnd(of architecture: ClassifierArchitecture) -> ExampleSet.FrontEnd {
        switch architecture {
        case .imageCNN:
            let frontEnd = DigitImageFrontEnd()
            return ExampleSet.decoding { media, _ in try frontEnd.example(from: media, encoder: ClassifierNetwork.encoderName) }
        case .audioCNN:
            let frontEnd = LogMelFrontEnd()
            return ExampleSet.decoding { media, item in
                try frontEnd.example(from: media, id: item.id, encoder: ClassifierNetwork.encoderName)
            }
        }
    }

    /// The `config.json` of the model this task trains.
    public var configuration: any Encodable & Sendable { network.configuration(labels: labels) }

    /// What the front end keeps of a decoded item between epochs.
    public var frontEnd: ExampleSet.FrontEnd {
        let network = network
        return ExampleSet.decoding { media, item in try network.example(from: media, id: item.id) }
    }

    public func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch {
        Batch(
            inputs: try network.inputs(
                of: examples.map(\.values), augmentation: augment ? augmentation : nil, seed: seed),
            labels: examples.map(\.label))
    }

    public func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics) {
        let logits = network(batch.inputs, training: training, rng: &rng).logits
        let classes = labels.count
        let loss: Tensor
        if training && labelSmoothing > 0 {
            // 1 − ε on the true class, ε/K shared over all K (so the true class gets 1 − ε + ε/K).
            var targets = [Float](repeating: labelSmoothing / Float(classes), count: batch.labels.count * classes)
            for (row, label) in batch.labels.enumerated() { targets[row * classes + label] += 1 - labelSmoothing }
            loss = Tensor.crossEntropy(logits: logits, probabilities: Tensor(targets, shape: logits.shape))
        } else {
            loss = Tensor.crossEntropy(logits: logits, targets: batch.labels)
        }
        let predictions = logits.argmax(axis: 1)
        let correct = zip(predictions, batch.labels).filter { $0 == $1 }.count
        let count = batch.labels.count
        return (
            loss, Metrics(sums: ["loss": Double(loss.item) * Double(count), "accuracy": Double(correct)], count: count)
        )
    }
}
