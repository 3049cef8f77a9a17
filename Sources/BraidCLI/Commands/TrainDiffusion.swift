import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Train {
    struct Diffusion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diffusion",
            abstract: "Train a text-to-image diffusion model on labelled images, so that 'braid generate' draws them.",
            discussion: """
                Each training image is noised to a random step of the forward process and a small U-Net learns to \
                predict that noise, reading the step and a caption: one of many phrasings of the image's label ("a \
                handwritten 7", "the digit seven", "number 7", …), drawn afresh each time, and no caption for a \
                share of them (--prompt-dropout), which classifier-free guidance needs. A moving average of the \
                weights is what the model file holds. Images become 28×28 grey digits, as for the other generative \
                models; the labels come from the data (MNIST's label file, folder names, --label-pattern).

                Example:
                  braid train diffusion --data train-images-idx3-ubyte.gz --epochs 10 --out runs/diffusion
                  braid generate "a handwritten seven" --model runs/diffusion --out seven.png
                """)

        @Option(help: "How β grows over the 1000 steps: cosine or linear.")
        var schedule: NoiseSchedule.Kind?

        @Flag(help: "Predict v = √ᾱ·ε − √(1−ᾱ)·x₀ instead of the noise ε.")
        var vPrediction = false

        @Option(help: "The share of images trained without their caption (default 0.1).")
        var promptDropout: Float?

        @Option(help: "The decay of the weight average the model keeps (default 0.999).")
        var averageDecay: Float?

        @Option(help: "The U-Net's widths per level, comma-separated (default 24,48,64).")
        var channels: String?

        @Option(help: "What reads the prompts: hashed (built in) or minilm (after 'braid models fetch minilm').")
        var textEncoder: String?

        @OptionGroup(title: "Data") var data: DataOptions
        @OptionGroup(title: "Training") var training: TrainingFlags
        @Option(help: "Items decoded at once while the data is read; default: one per core.") var jobs: Int?

        private var givesModelOptions: Bool {
            schedule != nil || vPrediction || promptDropout != nil || averageDecay != nil || channels != nil
                || textEncoder != nil
        }

        func validate() throws {
            if training.resume != nil {
                return try TrainingLauncher.validate(resuming: training, data: data, extraGiven: givesModelOptions)
            }
            guard data.isGiven else {
                throw ValidationError("Give the labelled training images: '--data', '--records' or '--tar'.")
            }
            if let promptDropout, !(0..<1).contains(promptDropout) {
                throw ValidationError("'--prompt-dropout' must be in [0, 1), got \(promptDropout).")
            }
            if let averageDecay, !(0..<1).contains(averageDecay) {
                throw ValidationError("'--average-decay' must be in [0, 1), got \(averageDecay).")
            }
            _ = try widths()
            if let textEncoder, !["hashed", "minilm"].contains(textEncoder) {
                throw ValidationError("'--text-encoder' is hashed or minilm, got '\(textEncoder)'.")
            }
        }

        private func widths() throws -> [Int]? {
            guard let channels else { return nil }
            let widths = channels.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard widths.count >= 2, widths.count <= 3, widths.allSatisfy({ $0 > 0 && $0 % 8 == 0 }) else {
                throw ValidationError(
                    "'--channels' takes 2 or 3 widths, each a multiple of 8 (e.g. 24,48,64), got '\(channels)'.")
            }
            return widths
        }

        func run() async throws {
            var settings = DiffusionSettings()
            settings.schedule = schedule ?? settings.schedule
            settings.predictsV = vPrediction
            settings.promptDropout = promptDropout ?? settings.promptDropout
            settings.averageDecay = averageDecay ?? settings.averageDecay
            settings.channels = try widths() ?? settings.channels
            settings.textEncoder = textEncoder ?? settings.textEncoder
            try await TrainingLauncher.run(
                .diffusion(settings), command: "diffusion", data: data, training: training,
                defaults: DiffusionTraining.defaultOptions, jobs: jobs)
        }
    }
}

extension NoiseSchedule.Kind: ExpressibleByArgument {}
