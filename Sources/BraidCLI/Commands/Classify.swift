import ArgumentParser
import Braid
import Foundation

extension Modality: ExpressibleByArgument {}

extension BraidCommand {
    struct Classify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Label files, folders or a stream with a trained classifier: one JSON line per item.",
            discussion: """
                Each line on standard output is {"id","label","score","top":[{"label","p"}...]}, in input order; \
                'label' is the model's label name (for the shipped digit models, the digit as a string). Items \
                flow through the same stages as 'braid embed': a file that cannot be decoded, or is not of the \
                model's modality, becomes a line {"id","error"} on standard error, and the exit code is 1.

                MODEL is a shipped model (handwritten-digits, spoken-digits), a model in $BRAID_MODELS, or the \
                path of a model folder, such as one 'braid train' wrote.

                Examples:
                  braid classify handwritten-digits digit.png scans/
                  cat seven.wav | braid classify spoken-digits -
                  braid classify runs/my-model --records files.jsonl --top 3
                """)

        @Argument(help: "The classifier: a shipped name, a name in $BRAID_MODELS, or a model folder's path.")
        var model: String

        @OptionGroup(title: "Input") var input: InputOptions
        @OptionGroup(title: "Decoding") var decoding: DecodeOptions
        @OptionGroup(title: "Output") var output: OutputOptions

        @Option(help: "How many labels each line lists, most probable first.")
        var top = 5

        @OptionGroup(title: "Compute") var compute: ComputeOptions

        func validate() throws {
            guard input.origin != nil else {
                throw ValidationError(
                    "Nothing to classify: give files or folders, '-', or one of '--records', '--paths-from', '--tar', '--idx'."
                )
            }
            guard top >= 1 else { throw ValidationError("'--top' must be at least 1, got \(top).") }
        }

        func run() async throws {
            guard let origin = input.origin else { throw ExitCode.validationFailure }
            var job = EmbedJob(
                origin: origin, filter: input.filter ?? ExtensionFilter(), decoding: decoding.decoderOptions())
            compute.apply(to: &job)
            try output.apply(to: &job)
            try await PipelineRun.execute(output: output) {
                EmbedPipeline(job: job, work: Classification(classifier: try Classifier(named: model), top: top))
            }
        }
    }
}
