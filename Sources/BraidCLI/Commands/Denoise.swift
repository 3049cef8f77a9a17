import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Denoise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove noise from images with a denoising autoencoder.",
            discussion: """
                Each noisy image becomes a 28×28 grey digit and is redrawn clean by the model, written as a PNG: all \
                in one grid (--out) or one per input (--out-dir, named after the input). To see what the model does \
                with clean digits, --add-noise first adds the noise the model was trained on (seeded by --seed), and \
                --with-inputs shows each noisy input beside its output. One line per item on standard output, \
                {"id","file"}; an item that cannot be decoded is an error line on standard error, the others go on, \
                and the exit code is 1.

                Examples:
                  braid denoise digits-dae scans/ --out-dir clean/
                  braid denoise digits-dae --idx t10k-images-idx3-ubyte.gz --add-noise --with-inputs --out pairs.png
                """)

        @Argument(help: "The model: a shipped name (digits-dae) or a folder 'braid train dae' wrote.")
        var model: String

        @OptionGroup var redraw: RedrawOptions

        @Flag(help: "Add the model's own training noise to each input first.")
        var addNoise = false

        @Option(help: "Seeds the noise of --add-noise.")
        var seed: UInt64 = 0

        func run() async throws {
            if addNoise {
                do {
                    guard try GenerativeModel(folder: try ModelLocator.folder(for: model)).corruption != nil else {
                        throw GenerationError(
                            model: model, problem: "was not trained on noise ('braid train dae'), so has none to add")
                    }
                } catch {
                    Diagnostics.report(error)
                    throw ExitCode.failure
                }
            }
            try await redraw.run(model: model, corrupting: addNoise, seed: seed)
        }
    }
}
