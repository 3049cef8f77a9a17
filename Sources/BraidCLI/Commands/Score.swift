import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score how well a generative model explains each image: find the odd ones in a folder.",
            discussion: """
                One JSON line per item, in input order: an autoencoder's {"id","bce_per_pixel","mse_per_pixel"}, a \
                VAE's {"id","bce","kl","neg_elbo"} (nats; z drawn 10 times), a VQ-VAE's {"id","mse_per_pixel"}. \
                The higher the figure, the less the image looks like what the model learned.

                Examples:
                  braid score digits-vae scans/ | jq -s 'sort_by(-.neg_elbo) | .[:10]'
                  braid score digits-ae --idx t10k-images-idx3-ubyte.gz > scores.jsonl
                """)

        @Argument(help: "The model: a shipped name (digits-ae, digits-vae, …) or a model folder.")
        var model: String

        @OptionGroup(title: "Input") var input: InputOptions
        @OptionGroup(title: "Decoding") var decoding: DecodeOptions
        @OptionGroup(title: "Output") var output: OutputOptions
        @OptionGroup(title: "Compute") var compute: ComputeOptions

        func validate() throws {
            guard input.origin != nil else {
                throw ValidationError("Nothing to score: give images or folders, '-', '--idx', '--records'.")
            }
        }

        func run() async throws {
            try await GenerativeRun.score(
                model: model, job: try input.job(decoding: decoding, compute: compute, output: output), output: output)
        }
    }
}
