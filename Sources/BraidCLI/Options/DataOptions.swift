import ArgumentParser
import Braid

/// Labelled data for `train` and `eval`: where it is and how each item's label is read.
struct DataOptions: ParsableArguments {
    @Option(
        name: .customLong("data"),
        help: ArgumentHelp(
            "Files and folders (one subfolder per class, or labels from '--label-pattern'), or one IDX images file.",
            valueName: "PATH"))
    var paths: [String] = []

    @Option(
        help: ArgumentHelp(
            #"JSON lines {"path": ..., "label": ...} ('-': standard input)."#, valueName: "FILE"))
    var records: String?

    @Option(help: ArgumentHelp("The members of a tar stream ('-': standard input).", valueName: "FILE"))
    var tar: String?

    @Option(
        name: .customLong("labels"),
        help: ArgumentHelp("The IDX labels file, when it is not named like the images file.", valueName: "FILE"))
    var idxLabels: String?

    @Option(
        help: ArgumentHelp(
            "A regular expression over each file name whose first group is the label, e.g. '^(\\d)_'.",
            valueName: "REGEX"))
    var labelPattern: String?

    @Option(
        help: ArgumentHelp(
            "Use only files whose name matches, e.g. '_[0-4]\\.wav$' for FSDD's test takes.", valueName: "REGEX"))
    var match: String?

    @Option(
        help: ArgumentHelp(
            "A regular expression whose first group in the file name groups items (a speaker) for per-group accuracy.",
            valueName: "REGEX"))
    var groupPattern: String?

    @Option(help: ArgumentHelp("Walk only files with these extensions, comma-separated.", valueName: "EXTS"))
    var include: String?

    @Option(help: ArgumentHelp("Skip files with these extensions, comma-separated.", valueName: "EXTS"))
    var exclude: String?

    /// Whether any input form was given.
    var isGiven: Bool { !paths.isEmpty || records != nil || tar != nil }

    func validate() throws {
        let forms = [!paths.isEmpty, records != nil, tar != nil].filter { $0 }.count
        guard forms <= 1 else { throw ValidationError("Give '--data', '--records' or '--tar', not several.") }
    }

    var labelledData: LabelledData {
        var data = LabelledData()
        data.paths = paths
        data.records = records
        data.tar = tar
        data.idxLabels = idxLabels
        data.labelPattern = labelPattern
        data.match = match
        data.groupPattern = groupPattern
        data.include = InputOptions.list(include)
        data.exclude = InputOptions.list(exclude)
        return data
    }
}
