import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand {
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw images from a text prompt with a diffusion model.",
            discussion: """
                Starting from pure noise, a U-Net removes noise step by step, steered by the prompt: DDIM with \
                --steps steps (deterministic; --eta adds noise), or DDPM ancestral sampling. --guidance is the \
                classifier-free guidance weight w: 0 is the prompted model alone, higher follows the prompt more \
                closely with less variety. The same prompt, --seed and settings give the same image, bit for bit.

                One prompt: --n images in one grid (--out) or as 0000.png, 0001.png, … (--out-dir); --trace draws \
                each image's way from noise, one row of 10 stages and the result. A file of prompts (--prompts, one \
                per line, '-' for standard input) streams through the pipeline's Generate stage: line L's images are \
                L-K.png in --out-dir (K from 0), or rows of the grid, and each line gets a JSON line \
                {"id","prompt","files"} on standard output (blank lines are skipped); a line without a letter or \
                digit is an error line on standard error, the others go on, and the exit code is 1.

                Examples:
                  braid generate "a handwritten seven" --steps 50 --guidance 3 --seed 1 --out seven.png
                  braid generate "the number four" --n 16 --out fours.png
                  braid generate "2" --trace --out trace.png
                  braid generate --prompts prompts.txt --n 4 --out-dir samples/
                """)

        @Argument(help: "What to draw, e.g. \"a handwritten 7\" or \"the digit seven\".")
        var prompt: String?

        @Option(help: ArgumentHelp("Draw for each line of FILE ('-': standard input) instead.", valueName: "FILE"))
        var prompts: String?

        @Option(help: "The model: a shipped name or a folder 'braid train diffusion' wrote.")
        var model = "digits-diffusion"

        @Option(name: .customLong("n"), help: "Images per prompt.")
        var count = 1

        @OptionGroup(title: "Sampling") var sampling: SamplingFlags

        @Flag(help: "Draw each image's way from noise to digit as one row.")
        var trace = false

        @OptionGroup(title: "Images") var images: ImageOutputOptions

        @Option(help: "Compute threads; default: one per core.")
        var threads: Int?

        @OptionGroup(title: "Output (JSON lines of --prompts)") var output: OutputOptions

        /// Stages of a trace before the result.
        private static let traceStages = 10

        func validate() throws {
            guard (prompt == nil) != (prompts == nil) else {
                throw ValidationError("Give one prompt, or a file of prompts with '--prompts FILE'.")
            }
            if let prompt, prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("The prompt is empty: say what to draw, e.g. \"a handwritten 7\".")
            }
            guard count >= 1 else { throw ValidationError("'--n' must be at least 1, got \(count).") }
            if trace, prompts != nil { throw ValidationError("'--trace' draws one prompt's images: drop '--prompts'.") }
            if let threads, threads < 1 { throw ValidationError("'--threads' must be at least 1, got \(threads).") }
        }

        func run() async throws {
            let destination = images.destination
            let model: TextToImageModel
            do {
                try destination.checkWritable()
                ThreadBudget.setComputeThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
                model = try TextToImageModel(folder: try ModelLocator.folder(for: self.model))
                guard sampling.steps <= model.timesteps else {
                    throw GenerationError(
                        model: self.model,
                        problem: "'--steps \(sampling.steps)' is more than its \(model.timesteps) steps")
                }
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
            if let prompts {
                return try await TextToImageRun.run(
                    model: model, prompts: prompts, count: count, options: sampling.options, images: destination,
                    output: output)
            }
            do {
                let tokens = try model.encode(prompt: prompt ?? "")
                let progress = ProgressBar(
                    total: model.networkSteps(requests: count, options: sampling.options), quiet: output.quiet, unit: "steps")
                let drawn = model.generate(
                    (0..<count).map { (tokens, $0) }, options: sampling.options,
                    snapshots: trace ? Self.traceStages : 0, onStep: { progress.advance() })
                progress.finish()
                if trace {
                    var strips = destination
                    strips.columns = Self.traceStages + 1
                    try strips.writeNumbered(drawn.flatMap { $0.trace + [$0.image] }, perFile: Self.traceStages + 1)
                } else {
                    try destination.writeNumbered(drawn.map(\.image))
                }
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }
    }
}
