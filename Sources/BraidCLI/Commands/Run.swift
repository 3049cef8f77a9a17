import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a pipeline declared in a YAML file (see pipelines/ and the README's 'Pipeline files').",
            discussion: """
                The file declares the input, each stage's options, jobs and buffer sizes, and the encoders. Paths \
                given after the file replace its 'input'. Unknown keys and bad values are reported with their line.

                With a 'generate' section instead of encoders, a generative model redraws (reconstruct, denoise) or \
                scores each image. With a 'fuse' section, or 'generate: {job: caption}', each item is an image and a \
                sound (records {"id","image","audio"}, or a video): its parts are fused, then captioned or written as \
                the fused embedding; a '.jsonl' file given after the pipeline file is read as such records. With \
                'generate: {job: text-to-image}', each line of the file given is a prompt to draw.

                Examples:
                  braid run pipelines/embed-folder.yaml photos/ > photos.jsonl
                  braid run pipelines/denoise-digits.yaml scans/ > denoised.jsonl
                  braid run pipelines/caption.yaml pairs.jsonl > captions.jsonl
                  braid run pipelines/text-to-image.yaml prompts.txt > drawn.jsonl
                """)

        @Argument(help: "The pipeline file.")
        var pipeline: String

        @Argument(help: "Files and folders that replace the file's input ('-' for standard input).")
        var inputs: [String] = []

        @Option(help: ArgumentHelp("A model folder or a folder of model folders.", valueName: "PATH"))
        var model: String?

        @OptionGroup(title: "Output") var output: OutputOptions

        func run() async throws {
            var job: EmbedJob
            do {
                job = try PipelineSpec.load(path: pipeline)
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
            let multimodal = job.fusion != nil || job.generation?.job == .caption
            if job.generation?.job == .textToImage, !inputs.isEmpty {
                // Prompts are lines of one file.
                guard inputs.count == 1 else {
                    throw ValidationError("'text-to-image' reads one file of prompts, got \(inputs.count) inputs.")
                }
                job.origin = .lines(inputs[0])
            } else if !inputs.isEmpty {
                job.origin = multimodal ? MultimodalRun.origin(of: inputs) : .paths(inputs)
            }
            try output.apply(to: &job)
            if let fusion = job.fusion, job.generation == nil {
                return try await MultimodalRun.fuse(model: fusion.model, job: job, output: output)
            }
            if let generation = job.generation {
                return try await GenerativeRun.run(generation, job: job, output: output)
            }
            let context = EncoderContext(modelsDirectory: model.map { URL(fileURLWithPath: $0) })
            try await PipelineRun.execute(job, context: context, output: output)
        }
    }
}
