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
                path of a model folder, such as one 'braid train' wrote. With '--labels', MODEL is a CLIP \
                checkpoint ('clip', or a CLIP folder's path) and images are classified zero-shot: each label is \
                put into '--template' and embedded by CLIP's text tower, and an image's probabilities are the \
                softmax of its similarity to each, scaled by the checkpoint's logit scale.

                Examples:
                  braid classify handwritten-digits digit.png scans/
                  cat seven.wav | braid classify spoken-digits -
                  braid classify runs/my-model --records files.jsonl --top 3
                  braid classify clip photos/ --labels "a dog,a cat,a car"
                  braid classify clip photos/ --labels "dog,cat,car" --template "a photo of a {}."
                """)

        @Argument(help: "The classifier: a shipped name, a name in $BRAID_MODELS, or a model folder's path.")
        var model: String

        @OptionGroup(title: "Input") var input: InputOptions
        @OptionGroup(title: "Decoding") var decoding: DecodeOptions
        @OptionGroup(title: "Output") var output: OutputOptions

        @Option(help: "How many labels each line lists, most probable first.")
        var top = 5

        @Option(
            help: ArgumentHelp(
                "Zero-shot labels for a CLIP model, separated by commas.", valueName: "LABEL,LABEL,..."))
        var labels: String?

        @Option(help: "The prompt each zero-shot label is put into, '{}' standing for the label.")
        var template = CLIPZeroShotClassifier.plainTemplate

        @Option(
            help: ArgumentHelp(
                "A folder of model folders to look MODEL up in; default $BRAID_MODELS or ~/.cache/braid/models.",
                valueName: "PATH"))
        var models: String?

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
                EmbedPipeline(job: job, work: Classification(classifier: try predictor(), top: top))
            }
        }

        /// The trained classifier MODEL names, or with '--labels' the zero-shot classifier of the CLIP model it names.
        private func predictor() throws -> any LabelPredictor {
            let context = EncoderContext(modelsDirectory: models.map { URL(fileURLWithPath: $0) })
            let clipFolder = CLIPEncoder.checkpointFolder(named: model, context: context)
            guard let labels else {
                if clipFolder != nil {
                    throw ValidationError("'\(model)' is a CLIP model: give the labels to choose among with '--labels'.")
                }
                return try Classifier(named: model, modelsDirectory: context.modelsDirectory)
            }
            guard let clipFolder else {
                throw ValidationError(
                    "'--labels' needs a CLIP model ('clip' or a CLIP folder's path); '\(model)' is not one.")
            }
            return try CLIPZeroShotClassifier(
                name: model, checkpoint: try CLIPCheckpoint.shared(folder: clipFolder),
                labels: labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                template: template)
        }
    }
}
