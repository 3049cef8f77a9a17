import ArgumentParser
import Braid
import Foundation

/// The options every `braid train` subcommand of a generative model takes.
struct GenerativeTrainingArguments: ParsableArguments {
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Training") var training: TrainingFlags
    @Option(help: "Items decoded at once while the data is read; default: one per core.") var jobs: Int?
}

/// What `braid train ae|dae|vae|vqvae` share: the data, the loop's flags with the generative models' defaults, and
/// the run itself; each subcommand adds its model's own options.
protocol GenerativeTrainCommand: AsyncParsableCommand {
    var arguments: GenerativeTrainingArguments { get }
    /// The model's settings from its own options.
    var settings: GenerativeSettings { get }
    /// Whether any of the model's own options was given (a resumed run refuses them).
    var givesModelOptions: Bool { get }
    /// Checks the model's own options' values.
    func validateModelOptions() throws
}

extension GenerativeTrainCommand {
    func validateModelOptions() throws {}

    func validate() throws {
        try validateModelOptions()
        let (data, training) = (arguments.data, arguments.training)
        if training.resume != nil {
            return try TrainingLauncher.validate(resuming: training, data: data, extraGiven: givesModelOptions)
        }
        guard data.isGiven else {
            throw ValidationError("Give the training images: '--data', '--records' or '--tar'.")
        }
    }

    func run() async throws {
        try await TrainingLauncher.run(
            .generative(settings), command: Self.configuration.commandName ?? "", data: arguments.data,
            training: arguments.training, defaults: GenerativeTraining.defaultOptions(for: settings.architecture),
            jobs: arguments.jobs)
    }
}

/// The examples shared by the four subcommands' help.
private let generativeDiscussion = """
    Images become 28×28 grey digits (MNIST's own are used as they are); labels are not needed. The folder written \
    holds config.json, model.safetensors (the best epoch on the validation split), training.json and \
    checkpoint.safetensors; name it wherever a model is named: 'braid reconstruct runs/ae digit.png'. When done, one \
    JSON line on standard output gives the folder and the best epoch's figures.
    """

extension BraidCommand.Train {
    struct Autoencoder: GenerativeTrainCommand {
        static let configuration = CommandConfiguration(
            commandName: "ae",
            abstract: "Train an autoencoder (784-128-32-128-784, binary cross-entropy) on images.",
            discussion: generativeDiscussion + """


                Example:
                  braid train ae --data train-images-idx3-ubyte.gz --epochs 10 --out runs/ae
                """)

        @OptionGroup var arguments: GenerativeTrainingArguments

        var settings: GenerativeSettings { GenerativeSettings(architecture: .autoencoder) }
        var givesModelOptions: Bool { false }
    }

    struct DenoisingAutoencoder: GenerativeTrainCommand {
        static let configuration = CommandConfiguration(
            commandName: "dae",
            abstract: "Train a denoising autoencoder: corrupted images in, clean images out.",
            discussion: generativeDiscussion + """


                The noise is drawn afresh for every batch: gaussian adds N(0, σ²) and clips to [0, 1] (--noise-level \
                is σ); masking sets a share of the pixels to 0, salt-and-pepper to 0 or 1 (--noise-level is the share).

                Example:
                  braid train dae --data train-images-idx3-ubyte.gz --noise gaussian --noise-level 0.5 --out runs/dae
                """)

        @OptionGroup var arguments: GenerativeTrainingArguments

        @Option(help: "The noise to remove: gaussian, masking or salt-and-pepper.")
        var noise: Corruption.Kind?
        @Option(help: "σ of gaussian noise, or the share of pixels hit by the others (default 0.5).")
        var noiseLevel: Float?

        var settings: GenerativeSettings {
            var settings = GenerativeSettings(architecture: .autoencoder)
            settings.corruption = Corruption(
                kind: noise ?? Corruption.standard.kind, level: noiseLevel ?? Corruption.standard.level)
            return settings
        }
        var givesModelOptions: Bool { noise != nil || noiseLevel != nil }

        func validateModelOptions() throws {
            guard let noiseLevel else { return }
            let limit: Float = (noise ?? .gaussian) == .gaussian ? .infinity : 1
            guard noiseLevel > 0, noiseLevel <= limit else {
                throw ValidationError(
                    "'--noise-level' must be above 0 (and at most 1 for a share of pixels), got \(noiseLevel).")
            }
        }
    }

    struct VAE: GenerativeTrainCommand {
        static let configuration = CommandConfiguration(
            commandName: "vae",
            abstract: "Train a variational autoencoder (784-256-16-256-784) on images.",
            discussion: generativeDiscussion + """


                The loss is the negative evidence lower bound: binary cross-entropy summed over pixels plus β times \
                the KL divergence from N(0, I), per image.

                Example:
                  braid train vae --data train-images-idx3-ubyte.gz --epochs 10 --out runs/vae
                """)

        @OptionGroup var arguments: GenerativeTrainingArguments

        @Option(help: "The weight of the KL term (1: the true bound; above 1: a β-VAE).")
        var beta: Float?

        var settings: GenerativeSettings {
            var settings = GenerativeSettings(architecture: .vae)
            settings.beta = beta
            return settings
        }
        var givesModelOptions: Bool { beta != nil }

        func validateModelOptions() throws {
            if let beta, !(beta >= 0) { throw ValidationError("'--beta' must be 0 or more, got \(beta).") }
        }
    }

    struct VQVAE: GenerativeTrainCommand {
        static let configuration = CommandConfiguration(
            commandName: "vqvae",
            abstract: "Train a VQ-VAE: images to a 7×7 grid of codes from a learned codebook of 64, and back.",
            discussion: generativeDiscussion + """


                Then train its prior with 'braid train vqvae-prior', so that 'braid sample' draws digits.

                Example:
                  braid train vqvae --data train-images-idx3-ubyte.gz --epochs 10 --out runs/vqvae
                """)

        @OptionGroup var arguments: GenerativeTrainingArguments

        @Option(help: "Learn the codebook by moving averages with this decay (e.g. 0.99) instead of by gradient.")
        var emaDecay: Float?
        @Option(help: "Move codes no output chose in the last N steps onto outputs of the current batch.")
        var restartDeadCodes: Int?
        @Flag(help: "Set the codes to encoder outputs of the first batch, spread over it.")
        var initCodesFromData = false

        func validateModelOptions() throws {
            if let emaDecay, !(0..<1).contains(emaDecay) {
                throw ValidationError("'--ema-decay' must be in [0, 1), got \(emaDecay).")
            }
            if let restartDeadCodes, restartDeadCodes < 1 {
                throw ValidationError("'--restart-dead-codes' must be at least 1, got \(restartDeadCodes).")
            }
        }

        var settings: GenerativeSettings {
            var settings = GenerativeSettings(architecture: .vqvae)
            settings.emaDecay = emaDecay
            settings.restartInterval = restartDeadCodes
            settings.initializesCodesFromData = initCodesFromData
            return settings
        }
        var givesModelOptions: Bool { emaDecay != nil || restartDeadCodes != nil || initCodesFromData }
    }
}

extension Corruption.Kind: ExpressibleByArgument {}
