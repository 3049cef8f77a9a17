import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Caption: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say what an image shows and a sound says: one caption per item, as JSON lines.",
            discussion: """
                Each item is an image and a sound: '--image FILE --audio FILE', a video (its middle frame and its \
                soundtrack), or a record {"id","image","audio"} of '--records'. Either part may be missing. The \
                parts go through their encoders, a cross-attention fusion joins them, and a transformer decoder \
                writes the caption.

                Each line on standard output is {"id","caption","tokens":[{"text","p"}...],"parts":[...]}, in input \
                order: 'p' is the probability the decoder gave each word, 'parts' the parts the item had. An item \
                that fails becomes a line {"id","error"} on standard error, the others go on, and the exit code is 1.

                The shipped model, digit-captions, writes 'a handwritten 3 and a spoken 7', 'a handwritten 5, \
                spoken as five', 'a handwritten 5 and no sound' or 'no image and a spoken 7'. Train your own with \
                'braid train caption'.

                Examples:
                  braid caption --image three.png --audio seven.wav
                  braid caption clip.mp4
                  cat clip.mp4 | braid caption -
                  braid caption --records pairs.jsonl > captions.jsonl
                """)

        @OptionGroup(title: "Input") var input: InputOptions

        @Option(help: "The caption model: a shipped name, a name in $BRAID_MODELS, or a model folder's path.")
        var model = CaptionModel.defaultName

        @Option(help: "Beams of the beam search; 1 decodes greedily.")
        var beam = 3

        @OptionGroup(title: "Decoding") var decoding: DecodeOptions
        @OptionGroup(title: "Output") var output: OutputOptions
        @OptionGroup(title: "Compute") var compute: ComputeOptions

        func validate() throws {
            guard input.origin != nil else {
                throw ValidationError(
                    "Nothing to caption: give '--image FILE --audio FILE', a video or '-', or '--records FILE'.")
            }
            guard beam >= 1 else { throw ValidationError("'--beam' must be at least 1, got \(beam).") }
        }

        func run() async throws {
            guard let origin = input.origin else { throw ExitCode.validationFailure }
            var job = EmbedJob(
                origin: origin, filter: input.filter ?? ExtensionFilter(),
                decoding: decoding.decoderOptions(defaults: EmbedJob.defaultDecoding))
            compute.apply(to: &job)
            try output.apply(to: &job)
            try await MultimodalRun.caption(model: model, beam: beam, job: job, output: output)
        }
    }
}
