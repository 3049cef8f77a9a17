import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Interpolate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Morph one digit into another through a model's latent space.",
            discussion: """
                Both images are encoded (the AE's code, the VAE's mean, the VQ-VAE's grid before quantisation); \
                --steps images are decoded from evenly spaced mixtures of the two, the first and last being the two \
                reconstructions. They go into one strip (--out; --columns to wrap it) or a folder as 0000.png, … \
                (--out-dir); one line per file written on standard output.

                Examples:
                  braid interpolate digits-vae three.png eight.png --steps 8 --out morph.png
                  braid interpolate digits-ae a.png b.png --steps 5 --out-dir morph/
                """)

        @Argument(help: "The model: a shipped name (digits-ae, digits-vae, digits-vqvae) or a model folder.")
        var model: String

        @Argument(help: "The image to start from ('-': standard input).")
        var start: String

        @Argument(help: "The image to end at.")
        var end: String

        @Option(help: "How many images, both ends included.")
        var steps = 8

        @OptionGroup(title: "Images") var images: ImageOutputOptions

        func validate() throws {
            guard steps >= 2 else { throw ValidationError("'--steps' must be at least 2, got \(steps).") }
        }

        func run() async throws {
            do {
                let generative = try GenerativeModel(folder: try ModelLocator.folder(for: model))
                let decoder = MediaDecoder()
                let ends = try InputArguments.items([start, end]).map { try decoder.decode($0) }
                let path = try generative.interpolate(from: ends[0], to: ends[1], steps: steps)
                var strip = images.destination
                strip.columns = strip.columns ?? steps
                try strip.writeNumbered(path)
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }
    }
}
