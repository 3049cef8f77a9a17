import ArgumentParser
import Braid

extension BraidCommand {
    struct Embed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed files, folders, texts or a stream as JSON lines: one vector per item.",
            discussion: """
                Each line on standard output is {"id","source","modality","encoder","dim","embedding":[...],"meta":{...}}, \
                in input order. A file that cannot be decoded becomes a line {"id","error"} on standard error; the \
                others go on, and the exit code is 1 if any failed. Formats are detected from the bytes.

                A video is one item: by default one frame per second (at most 64) at 224×224 and its soundtrack \
                are pooled into one vector; '--fps', '--every', '--keyframes', '--max-frames' and '--size' change that.

                Default encoders need no download: 'hashed' text, 'features' image, 'logmel' audio, 'video'. \
                After 'braid models fetch minilm', text uses the all-MiniLM-L6-v2 sentence model.

                Examples:
                  braid embed photos/ > photos.jsonl
                  cat clip.mp4 | braid embed -
                  braid embed --lines sentences.txt --encoder text=minilm
                  tar c recordings | braid embed --tar - --include wav
                  braid embed corpus/ --resume out.jsonl          # run again after a crash: skips what is done
                  braid embed corpus/ --shard 0/4 > part0.jsonl   # one of 4 machines
                  braid embed --image three.png --audio three.wav --fuse cross

                With '--fuse', each item is an image and a sound ('--image'/'--audio', a video, or records                 {"id","image","audio"}), and its line is {"id","encoder","parts","dim","embedding"}: the fused                 embedding of the shipped early, late or cross-attention fusion model, or of a fusion model folder.
                """)

        @OptionGroup(title: "Input") var input: InputOptions
        @OptionGroup(title: "Encoding") var encoding: EncodeOptions
        @OptionGroup(title: "Decoding") var decoding: DecodeOptions
        @OptionGroup(title: "Output") var output: OutputOptions

        @Option(
            help: ArgumentHelp(
                "Fuse each item's image and sound with this fusion model: early, late, cross, or a model folder.",
                valueName: "MODEL"))
        var fuse: String?

        func validate() throws {
            guard input.origin != nil else {
                throw ValidationError(
                    "Nothing to embed: give files or folders, '-', or one of '--lines', '--records', '--paths-from', '--tar', '--idx'."
                )
            }
        }

        func run() async throws {
            guard let origin = input.origin else { throw ExitCode.validationFailure }
            var job = EmbedJob(
                origin: origin, filter: input.filter ?? ExtensionFilter(),
                decoding: decoding.decoderOptions(defaults: EmbedJob.defaultDecoding))
            try encoding.apply(to: &job)
            try output.apply(to: &job)
            if let fuse { return try await MultimodalRun.fuse(model: fuse, job: job, output: output) }
            try await PipelineRun.execute(job, context: encoding.context, output: output)
        }
    }
}
