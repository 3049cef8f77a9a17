import BraidTensor

/// One labelled training or evaluation example, as the model's front end made it from a decoded item.
public struct Example: Sendable {
    /// The item's id, for reports.
    public let id: String
    /// The front end's values: a centred digit's pixels, a clip's samples.
    public let values: [Float]
    /// The index of its label in the data's label list.
    public let label: Int
}

/// Sums over a batch that the loop totals over an epoch: `loss` (summed per example), and whatever a task counts
/// (`correct` for a classifier). Each figure is reported as its total divided by `count`.
public struct Metrics: Sendable, Equatable, Codable {
    public var sums: [String: Double] = [:]
    public var count = 0

    public init(sums: [String: Double] = [:], count: Int = 0) {
        self.sums = sums
        self.count = count
    }

    public mutating func add(_ other: Metrics) {
        for (name, value) in other.sums { sums[name, default: 0] += value }
        count += other.count
    }

    /// Each figure's mean per example.
    public var means: [String: Double] {
        sums.mapValues { count > 0 ? $0 / Double(count) : 0 }
    }
}

/// A model the training loop can train. The loop owns the data, the order, the optimiser, the schedule, the
/// checkpoints and the reports; a task supplies the network's batches, loss and metrics, nothing more.
public protocol TrainingTask: AnyObject, Sendable {
    /// A batch ready for the network (inputs as a tensor, targets); built a batch ahead of the step.
    associatedtype Batch: Sendable

    /// Every parameter and buffer: the optimiser updates the parameters, checkpoints hold both.
    var store: ParameterStore { get }

    /// The validation figure that picks the best checkpoint, and whether higher is better.
    var selection: (metric: String, higherIsBetter: Bool) { get }

    /// Builds a batch from examples; distorted at random when `augment`, drawing from generators seeded by `seed`
    /// alone, so the same batch comes out whichever thread builds it and whenever.
    func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch

    /// The batch's mean loss, recorded for `backward()` when `training`, and its metric sums.
    /// - Parameter rng: For the network's own randomness (dropout).
    func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics)

    /// Runs after each optimiser step: for updates that are not gradient steps (a VQ-VAE's codebook averages).
    func afterStep()

    /// What the model file holds, by name: every parameter and buffer, unless the model samples with other weights
    /// than it trains (a diffusion model's averages), which then take the parameters' names.
    var modelTensors: [String: Tensor] { get }
}

extension TrainingTask {
    public func afterStep() {}

    public var modelTensors: [String: Tensor] { Dictionary(uniqueKeysWithValues: store.namedTensors) }
}
