import ArgumentParser
import Braid
import Foundation

/// The training loop's settings, shared by every `braid train` subcommand; each default is the loop's own
/// (``TrainingOptions``).
struct TrainingFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Write the model and its checkpoints into DIR (created).", valueName: "DIR"))
    var out: String?

    @Option(
        help: ArgumentHelp(
            "Continue the run in DIR from its last checkpoint, with the data and settings it was started with.",
            valueName: "DIR"))
    var resume: String?

    @Option(help: "Passes over the training data (with --resume: the run's new total).")
    var epochs: Int?

    @Option(help: "Examples per step.")
    var batchSize: Int?

    @Option(help: "The peak learning rate of AdamW (warm-up, then cosine decay to 0).")
    var learningRate: Float?

    @Option(help: "Epochs of linear warm-up.")
    var warmupEpochs: Double?

    @Option(help: "AdamW's decoupled weight decay (not applied to biases and norms).")
    var weightDecay: Float?

    @Option(help: "Clip the gradients' global L2 norm to this (0: no clipping).")
    var clipNorm: Float?

    @Option(help: "Label smoothing for classifiers (0: none).")
    var labelSmoothing: Float?

    @Option(help: "Seeds the weights, the validation split, the order, the augmentation and dropout.")
    var seed: UInt64?

    @Option(help: "The share of the training data held out for validation, which picks the best epoch.")
    var validation: Double?

    @Flag(help: "Train on the examples as they are, without random distortions.")
    var noAugment = false

    @Option(
        help: ArgumentHelp(
            "Change the random distortions: a JSON file of the settings to replace, named as in training.json's "
                + "\"augmentation\", e.g. {\"image\": {\"erasing_probability\": 0.5, \"erasing_area\": [0.02, 0.25]}}.",
            valueName: "FILE"))
    var augmentation: String?

    @Option(help: "Keep decoded examples in memory between epochs up to this many MiB; beyond it, read them again.")
    var cacheMb: Int?

    @Option(help: "Also write the resumable checkpoint every N steps (default: at the end of each epoch).")
    var checkpointSteps: Int?

    @Option(help: "Compute threads; default: one per core. A resumed run repeats the first bit for bit on as many.")
    var threads: Int?

    @Option(help: ArgumentHelp("Append one JSON line per epoch to FILE.", valueName: "FILE"))
    var log: String?

    @Flag(name: .shortAndLong, help: "Draw no progress bar and print no epoch lines.")
    var quiet = false

    func validate() throws {
        guard (out == nil) != (resume == nil) else {
            throw ValidationError("Give '--out DIR' for a new run, or '--resume DIR' to continue one.")
        }
        if let epochs, epochs < 1 { throw ValidationError("'--epochs' must be at least 1, got \(epochs).") }
        if let batchSize, batchSize < 2 {
            throw ValidationError("'--batch-size' must be at least 2 (batch norm needs two), got \(batchSize).")
        }
        if let learningRate, !(learningRate > 0) {
            throw ValidationError("'--learning-rate' must be positive, got \(learningRate).")
        }
        if let validation, !(0..<1).contains(validation) {
            throw ValidationError("'--validation' must be in [0, 1), got \(validation).")
        }
        if let labelSmoothing, !(0..<1).contains(labelSmoothing) {
            throw ValidationError("'--label-smoothing' must be in [0, 1), got \(labelSmoothing).")
        }
        if let threads, threads < 1 { throw ValidationError("'--threads' must be at least 1, got \(threads).") }
        if let cacheMb, cacheMb < 0 { throw ValidationError("'--cache-mb' must be 0 or more, got \(cacheMb).") }
    }

    /// The flags that change how a run trains; a resumed run refuses them, as they would break its repeatability.
    var changesTraining: Bool {
        [
            batchSize != nil, learningRate != nil, warmupEpochs != nil, weightDecay != nil, clipNorm != nil,
            labelSmoothing != nil, seed != nil, validation != nil, noAugment, augmentation != nil,
        ].contains(true)
    }

    /// `defaults` with the flags given applied.
    /// - Throws: `ValidationError` naming the `--augmentation` file when it cannot be read or used.
    func options(over defaults: TrainingOptions = TrainingOptions()) throws -> TrainingOptions {
        var options = defaults
        if let epochs { options.epochs = epochs }
        if let batchSize { options.batchSize = batchSize }
        if let learningRate { options.learningRate = learningRate }
        if let warmupEpochs { options.warmupEpochs = warmupEpochs }
        if let weightDecay { options.weightDecay = weightDecay }
        if let clipNorm { options.clipNorm = clipNorm }
        if let labelSmoothing { options.labelSmoothing = labelSmoothing }
        if let seed { options.seed = seed }
        if let validation { options.validationFraction = validation }
        if noAugment { options.augment = false }
        if let augmentation {
            do {
                let changes = try Data(contentsOf: URL(fileURLWithPath: augmentation))
                options.augmentation = try options.augmentation.overridden(by: changes, source: augmentation)
            } catch let error as AugmentationError {
                throw ValidationError("'--augmentation' \(error)")
            } catch {
                throw ValidationError(
                    "'--augmentation' \(augmentation): cannot be read (\(error.localizedDescription))")
            }
        }
        if let cacheMb { options.cacheMegabytes = cacheMb }
        if let checkpointSteps { options.checkpointSteps = checkpointSteps }
        return options
    }

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}
