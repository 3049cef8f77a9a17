/// The settings of one training run, recorded in `training.json` so the run can be resumed and repeated.
///
/// The schedule: AdamW (decoupled weight decay on weights, not on biases and norm parameters), the learning rate
/// rising linearly from 0 to `learningRate` over `warmupEpochs`, then falling along a half cosine to 0 at the
/// last step; gradients clipped to a global L2 norm of `clipNorm`.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var epochs = 10
    public var batchSize = 128
    /// The peak learning rate.
    public var learningRate: Float = 2e-3
    public var warmupEpochs = 1.0
    public var weightDecay: Float = 5e-4
    /// 0 turns clipping off.
    public var clipNorm: Float = 5
    /// Classifier targets put `1 − labelSmoothing` on the true class and share the rest among all classes
    /// (Szegedy et al., 2016); 0 turns it off.
    public var labelSmoothing: Float = 0.1
    /// Seeds the initial weights, the validation split, the order of examples, the augmentation and dropout.
    public var seed: UInt64 = 1
    /// The share of the data held out for validation, which picks the best epoch.
    public var validationFraction = 0.1
    public var augment = true
    public var augmentation = Augmentation()
    /// Decoded examples stay in memory between epochs when they fit in this many MiB; otherwise they are read
    /// again every epoch.
    public var cacheMegabytes = 2048
    /// Also write the resumable state every this many steps (0: only at the end of each epoch).
    public var checkpointSteps = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case warmupEpochs = "warmup_epochs"
        case weightDecay = "weight_decay"
        case clipNorm = "clip_norm"
        case labelSmoothing = "label_smoothing"
        case seed
        case validationFraction = "validation_fraction"
        case augment
        case augmentation
        case cacheMegabytes = "cache_mb"
        case checkpointSteps = "checkpoint_steps"
    }
}

/// One epoch's figures, as `training.json` and `--log` record them.
public struct EpochReport: Codable, Sendable, Equatable {
    /// 1-based.
    public var epoch: Int
    /// Means per training example: `loss`, and `accuracy` for classifiers.
    public var training: [String: Double]
    /// Means per validation example.
    public var validation: [String: Double]
    /// The rate at the epoch's last step.
    public var learningRate: Float
    public var seconds: Double
    public var examplesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case epoch, training, validation
        case learningRate = "learning_rate"
        case seconds
        case examplesPerSecond = "examples_per_second"
    }
}

/// `training.json`: what a model folder's weights came from and how they scored.
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// What was trained: `classifier`, `generative` or `code-prior`.
    public var task: String
    public var architecture: String
    /// The model this one was trained on top of: a code prior's VQ-VAE, as it was named.
    public var base: String?
    public var data: LabelledData
    public var options: TrainingOptions
    /// Compute threads: a resumed run matches an uninterrupted one bit for bit only on the same count.
    public var threads: Int
    public var examples: ExampleCounts
    public var labels: [String]
    public var history: [EpochReport] = []
    /// The epoch whose weights `model.safetensors` holds.
    public var best: EpochReport?

    public struct ExampleCounts: Codable, Sendable, Equatable {
        public var training: Int
        public var validation: Int
        public var failed: Int
    }

    public init(
        task: String, architecture: String, base: String? = nil, data: LabelledData, options: TrainingOptions,
        threads: Int, examples: ExampleCounts, labels: [String]
    ) {
        self.task = task
        self.architecture = architecture
        self.base = base
        self.data = data
        self.options = options
        self.threads = threads
        self.examples = examples
        self.labels = labels
    }
}
