import ArgumentParser
import Braid

/// Where `braid embed` reads its items from: paths, or exactly one of the list and stream forms.
struct InputOptions: ParsableArguments {
    @Argument(help: "Files and folders (walked recursively, in sorted order), or '-' for one file on standard input.")
    var paths: [String] = []

    @Option(
        help: ArgumentHelp(
            "Read the paths to process from FILE, one per line ('-': standard input).", valueName: "FILE"))
    var pathsFrom: String?

    @Option(
        help: ArgumentHelp(
            "Read the members of a tar stream ('-': standard input), as in 'tar c dir | braid embed --tar -'.",
            valueName: "FILE"))
    var tar: String?

    @Option(
        help: ArgumentHelp(
            "Take each line of FILE as one text ('-': standard input); ids are line numbers.", valueName: "FILE"))
    var lines: String?

    @Option(
        help: ArgumentHelp(
            #"Read JSON lines {"id": ..., "text": ...}, {"id": ..., "path": ...}, or the parts of one item {"id": ..., "image": ..., "audio": ...} ('-': standard input)."#,
            valueName: "FILE"))
    var records: String?

    @Option(
        help: ArgumentHelp(
            "Read the images of an IDX file (MNIST's format, gzip or not), labelled by its labels file if present.",
            valueName: "FILE"))
    var idx: String?

    @Option(
        help: ArgumentHelp(
            "The image part of one multimodal item, with '--audio' ('-': standard input).", valueName: "FILE"))
    var image: String?

    @Option(
        help: ArgumentHelp(
            "The sound part of one multimodal item, with '--image' ('-': standard input).", valueName: "FILE"))
    var audio: String?

    @Option(
        help: ArgumentHelp("Walk only files with these extensions, comma-separated (e.g. png,wav).", valueName: "EXTS"))
    var include: String?

    @Option(help: ArgumentHelp("Skip files with these extensions, comma-separated.", valueName: "EXTS"))
    var exclude: String?

    private var origins: [ItemSource.Origin] {
        var origins: [ItemSource.Origin] = []
        if !paths.isEmpty { origins.append(.paths(paths)) }
        if let pathsFrom { origins.append(.pathList(pathsFrom)) }
        if let tar { origins.append(.tar(tar)) }
        if let lines { origins.append(.lines(lines)) }
        if let records { origins.append(.records(records)) }
        if let idx { origins.append(.idx(images: idx, labels: nil)) }
        if image != nil || audio != nil { origins.append(.parts(image: image, audio: audio)) }
        return origins
    }

    /// The one input form given, or nil when none was (a pipeline file may supply it).
    var origin: ItemSource.Origin? { origins.first }

    var filter: ExtensionFilter? {
        guard include != nil || exclude != nil else { return nil }
        return ExtensionFilter(include: Self.list(include), exclude: Self.list(exclude))
    }

    func validate() throws {
        guard origins.count <= 1 else {
            throw ValidationError(
                "Give paths or one of '--paths-from', '--tar', '--lines', '--records', '--idx', '--image'/'--audio', not several.")
        }
        guard image != "-" || audio != "-" else {
            throw ValidationError("Only one of '--image' and '--audio' can read standard input.")
        }
    }

    /// The pipeline job over this input with the decoding, compute and output flags applied.
    func job(decoding: DecodeOptions, compute: ComputeOptions, output: OutputOptions) throws -> EmbedJob {
        guard let origin else { throw ExitCode.validationFailure }
        var job = EmbedJob(origin: origin, filter: filter ?? ExtensionFilter(), decoding: decoding.decoderOptions())
        compute.apply(to: &job)
        try output.apply(to: &job)
        return job
    }

    /// The items of a comma-separated option, trimmed, empty ones dropped.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
