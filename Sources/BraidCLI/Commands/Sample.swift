import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand {
    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw new digits from a VAE, or from a VQ-VAE through its learned prior.",
            discussion: """
                A VAE decodes latents drawn from N(0, I); a VQ-VAE decodes 7×7 code grids its prior writes one code \
                at a time, of the class --label names when the prior was trained with labels (else of a class drawn \
                at random). The same --seed draws the same digits. The images go into one grid (--out) or into a \
                folder as 0000.png, 0001.png, … (--out-dir); one line per file written on standard output.

                Examples:
                  braid sample digits-vqvae --n 64 --out samples.png
                  braid sample digits-vqvae --n 10 --label 7 --seed 3 --out-dir sevens/
                  braid sample digits-vae --n 100 --columns 10 --out vae.png
                """)

        @Argument(help: "The model: a shipped name (digits-vae, digits-vqvae) or a model folder.")
        var model: String

        @Option(name: .customLong("n"), help: "How many digits to draw.")
        var count = 64

        @Option(help: "The class to draw, for a VQ-VAE whose prior was trained with labels (e.g. 7).")
        var label: String?

        @Option(help: "Seeds the draws.")
        var seed: UInt64 = 0

        @Option(help: "Below 1, the prior's likeliest codes only (cleaner digits); above 1, more varied ones.")
        var temperature: Float = 1

        @OptionGroup(title: "Images") var images: ImageOutputOptions

        @Option(help: "Compute threads; default: one per core.")
        var threads: Int?

        func validate() throws {
            guard count >= 1 else { throw ValidationError("'--n' must be at least 1, got \(count).") }
            guard temperature > 0 else { throw ValidationError("'--temperature' must be positive, got \(temperature).") }
        }

        func run() async throws {
            do {
                ThreadBudget.setComputeThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
                let generative = try GenerativeModel(folder: try ModelLocator.folder(for: model))
                let drawn = try generative.sample(count: count, label: label, seed: seed, temperature: temperature)
                try images.destination.writeNumbered(drawn)
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }
    }
}
