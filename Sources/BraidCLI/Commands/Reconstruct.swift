import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Reconstruct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Redraw images through an autoencoder, a VAE or a VQ-VAE: what the model keeps of each.",
            discussion: """
                Each image becomes a 28×28 grey digit (MNIST's own are used as they are), goes through the model's \
                encoder and decoder, and is written as a PNG: all in one grid (--out) or one per input (--out-dir, \
                named after the input: 7.png, or test-images-idx3-ubyte-12.png for an IDX record). One line per item \
                on standard output, {"id","file"}; an item that cannot be decoded is an error line on standard \
                error, the others go on, and the exit code is 1.

                Examples:
                  braid reconstruct digits-ae digits/ --out grid.png --with-inputs
                  braid reconstruct digits-vqvae --idx t10k-images-idx3-ubyte.gz --out-dir recon/
                  cat seven.png | braid reconstruct digits-vae - --out seven-vae.png
                """)

        @Argument(help: "The model: a shipped name (digits-ae, digits-dae, digits-vae, digits-vqvae) or a folder.")
        var model: String

        @OptionGroup var redraw: RedrawOptions

        func run() async throws {
            try await redraw.run(model: model, corrupting: false, seed: 0)
        }
    }
}
