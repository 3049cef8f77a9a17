import Foundation

/// Where labelled data comes from, as `braid train` and `braid eval` take it, and how each item gets its label.
/// Recorded in `training.json`, so a run can be resumed and its data named.
///
/// A label comes from the first rule that gives one:
/// 1. the input itself: a record's `label` (`--records`), an IDX labels file (`--data train-images-idx3-ubyte.gz`);
/// 2. `labelPattern`, a regular expression searched in the file name, whose first capture group is the label
///    (`'^(\d)_'` reads `7` from `7_george_12.wav`);
/// 3. the folder: an item found in a folder whose path below it has a folder, as `cat/001.png`, is labelled by
///    that first folder (the ImageFolder convention: one subfolder per class).
///
/// An item with no label is a failure, reported by name; so is a file that cannot be decoded.
public struct LabelledData: Codable, Sendable, Equatable {
    /// `--data PATH...`: files and folders, or one IDX images file (gzip or not).
    public var paths: [String] = []
    /// `--records FILE|-`: JSON lines `{"path", "label"}`.
    public var records: String?
    /// `--tar FILE|-`: the members of a tar stream.
    public var tar: String?
    /// `--labels FILE`: the IDX labels file, when its name does not follow the images file's.
    public var idxLabels: String?
    /// `--include` / `--exclude`: extensions of the files walked in folders and tar streams.
    public var include: [String] = []
    public var exclude: [String] = []
    /// `--label-pattern REGEX`.
    public var labelPattern: String?
    /// `--match REGEX`: only files whose name this expression finds something in are used (a split by file name:
    /// FSDD's training takes are `--match '_([5-9]|[1-4][0-9])\.wav$'`).
    public var match: String?
    /// `--group-pattern REGEX`: its first capture group in the file name groups items for per-group accuracy (a
    /// speaker).
    public var groupPattern: String?

    enum CodingKeys: String, CodingKey {
        case paths, records, tar
        case idxLabels = "idx_labels"
        case include, exclude
        case labelPattern = "label_pattern"
        case match
        case groupPattern = "group_pattern"
    }

    public init() {}

    /// The one input form given.
    /// - Throws: `InputError` when none or several are given, or an IDX file is given with others.
    public func origin() throws(InputError) -> ItemSource.Origin {
        let forms = [!paths.isEmpty, records != nil, tar != nil].filter { $0 }.count
        guard forms == 1 else {
            throw InputError(file: "-", problem: "give the data as paths, or as one of '--records' and '--tar'")
        }
        if let records { return .records(records) }
        if let tar { return .tar(tar) }
        if let idx = paths.first(where: IDXFile.isIDX) {
            guard paths.count == 1 else {
                throw InputError(file: idx, problem: "an IDX file is a data set of its own: give it alone")
            }
            return .idx(images: idx, labels: idxLabels)
        }
        return .paths(paths)
    }

    /// The labelled items, each a success with `label` set or a failure naming the file; files that `match` leaves
    /// out do not appear.
    /// - Throws: `InputError` for input forms that do not go together, or a pattern that is not a regular
    ///   expression.
    public func items() throws -> some AsyncSequence<Result<Item, ItemFailure>, any Error> & Sendable {
        Self.items(
            from: try origin(), filter: ExtensionFilter(include: include, exclude: exclude), rules: try LabelRules(self)
        )
    }

    /// `items()` once its parts are known to be valid.
    /// - Parameter requiringLabels: Whether an item without a label fails; when not, it keeps an empty label.
    static func items(
        from origin: ItemSource.Origin, filter: ExtensionFilter, rules: LabelRules, requiringLabels: Bool = true
    ) -> some AsyncSequence<Result<Item, ItemFailure>, any Error> & Sendable {
        ItemSource(origin, filter: filter).compactMap { record -> Result<Item, ItemFailure>? in
            guard case .success(var item) = record else { return record }
            let name = LabelRules.fileName(of: item)
            guard rules.matches(name) else { return nil }
            if item.label == nil { item.label = rules.label(of: item, fileName: name) }
            guard item.label != nil || !requiringLabels else {
                return .failure(
                    ItemFailure(
                        id: item.id,
                        message:
                            "\(item.id): no label: give '--label-pattern', or put the files in one folder per class"
                    ))
            }
            return .success(item)
        }
    }

    /// The group `groupPattern` gives an item id, if any.
    public func group(of id: String) throws -> String? {
        try LabelRules(self).group(of: (id as NSString).lastPathComponent)
    }
}

/// `LabelledData`'s patterns, compiled.
struct LabelRules: @unchecked Sendable {
    // @unchecked: the compiled expressions are only read, and matching does not mutate them.
    private let label: Regex<AnyRegexOutput>?
    private let match: Regex<AnyRegexOutput>?
    private let group: Regex<AnyRegexOutput>?

    init(_ data: LabelledData) throws(InputError) {
        func compile(_ pattern: String?, option: String) throws(InputError) -> Regex<AnyRegexOutput>? {
            guard let pattern else { return nil }
            do { return try Regex(pattern) } catch {
                throw InputError(file: option, problem: "'\(pattern)' is not a regular expression: \(error)")
            }
        }
        label = try compile(data.labelPattern, option: "--label-pattern")
        match = try compile(data.match, option: "--match")
        group = try compile(data.groupPattern, option: "--group-pattern")
    }

    /// The last path component of the file behind an item (its path for a file, else its id).
    static func fileName(of item: Item) -> String {
        if case .file(let path) = item.source { return (path as NSString).lastPathComponent }
        return (item.id as NSString).lastPathComponent
    }

    func matches(_ fileName: String) -> Bool {
        guard let match else { return true }
        return (try? match.firstMatch(in: fileName)) != nil
    }

    /// Rule 2, else rule 3.
    func label(of item: Item, fileName: String) -> String? {
        if let label { return Self.firstCapture(label, in: fileName) }
        let components = item.id.split(separator: "/", omittingEmptySubsequences: true)
        return components.count >= 2 ? String(components[0]) : nil
    }

    func group(of fileName: String) -> String? {
        group.flatMap { Self.firstCapture($0, in: fileName) }
    }

    /// The first capture group of the first match, or the whole match when the expression has no group.
    private static func firstCapture(_ expression: Regex<AnyRegexOutput>, in text: String) -> String? {
        guard let found = try? expression.firstMatch(in: text) else { return nil }
        let output = found.output
        let captured = output.count > 1 ? output[1].substring : output[0].substring
        return captured.map(String.init)
    }
}
