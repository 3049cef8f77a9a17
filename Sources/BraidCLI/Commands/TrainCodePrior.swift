import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Train {
    struct CodePrior: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vqvae-prior",
            abstract: "Train the learned prior of a VQ-VAE, so that 'braid sample' draws digits from it.",
            discussion: """
                A small transformer learns to write the VQ-VAE's 7×7 code grids one code at a time, conditioned on \
                each image's label (unless --unconditioned), as the VQ-VAE encodes the training images. Write it \
                into the VQ-VAE's folder as prior/, where 'braid sample' looks for it.

                Example:
                  braid train vqvae-prior --vqvae runs/vqvae --data train-images-idx3-ubyte.gz --out runs/vqvae/prior
                  braid sample runs/vqvae --n 64 --label 7 --out sevens.png
                """)

        @Option(help: "The VQ-VAE whose codes the prior learns: a model name or folder.")
        var vqvae: String?

        @Flag(help: "Learn one prior for all images, without their labels.")
        var unconditioned = false

        @OptionGroup(title: "Data") var data: DataOptions
        @OptionGroup(title: "Training") var training: TrainingFlags
        @Option(help: "Items decoded at once while the data is read; default: one per core.") var jobs: Int?

        func validate() throws {
            if training.resume != nil {
                return try TrainingLauncher.validate(
                    resuming: training, data: data, extraGiven: vqvae != nil || unconditioned)
            }
            guard vqvae != nil else { throw ValidationError("Give the VQ-VAE: '--vqvae NAME|DIR'.") }
            guard data.isGiven else {
                throw ValidationError("Give the training images: '--data', '--records' or '--tar'.")
            }
        }

        func run() async throws {
            try await TrainingLauncher.run(
                vqvae.map { .codePrior(vqvae: $0, conditioned: !unconditioned) }, command: "vqvae-prior", data: data,
                training: training, defaults: CodePriorTraining.defaultOptions, jobs: jobs)
        }
    }
}
