import Foundation

/// `--resume FILE`: the ids an interrupted run already wrote to FILE, so a new run skips them and appends.
///
/// Every line of FILE was written whole by one `write(2)` (see ``JSONLWriter``), so only the last line can be torn,
/// and only by a crash; a last line without `\n` is such a line. Opening the journal cuts it off the file, so the
/// appended lines start on a fresh line and the torn item is simply done again.
public struct ResumeJournal: Sendable {
    /// The output file being resumed.
    public let path: String
    /// Ids of the complete lines in the file.
    public let completedIDs: Set<String>
    /// Bytes of a torn last line cut off the file (0 when the file ended cleanly).
    public let truncatedBytes: Int

    /// Reads the ids in `path` and repairs a torn last line. A missing file is an empty journal.
    ///
    /// - Throws: ``OutputError/cannotResume(file:problem:)`` when the file cannot be read or truncated, or holds a
    ///   complete line without an `"id"` (then it is not Braid output, and appending to it would be wrong).
    public init(path: String) throws(OutputError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            completedIDs = []
            truncatedBytes = 0
            return
        }
        let (ids, tornLineStart) = try Self.read(path)
        completedIDs = ids
        truncatedBytes =
            try tornLineStart.map { start throws(OutputError) in try Self.cutTornLine(path, at: start) } ?? 0
    }

    /// The ids of the complete lines, and where a torn last line starts.
    private static func read(_ path: String) throws(OutputError) -> (ids: Set<String>, tornLineStart: Int?) {
        var ids = Set<String>()
        var lineNumber = 0
        do throws(InputError) {
            let reader = try ByteReader(path: path)
            while true {
                let start = reader.offset
                guard let line = try reader.readLine() else { return (ids, nil) }
                lineNumber += 1
                if reader.offset == start + line.count { return (ids, start) }
                guard let id = id(in: line) else { break }
                ids.insert(id)
            }
        } catch {
            throw OutputError.cannotResume(file: path, problem: error.problem)
        }
        throw OutputError.cannotResume(file: path, problem: "line \(lineNumber) has no \"id\"")
    }

    /// Whether the item with `id` is already in the file.
    public func contains(_ id: String) -> Bool {
        completedIDs.contains(id)
    }

    /// The id of one output line. Braid writes `{"id":"…",…` first, so an id without escapes is read straight from
    /// the bytes; any other line is parsed in full.
    static func id(in line: [UInt8]) -> String? {
        let opening = Array(#"{"id":""#.utf8)
        if line.starts(with: opening) {
            let rest = line[opening.count...]
            if let quote = rest.firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
                line[quote] == UInt8(ascii: "\"")
            {
                return String(validating: rest[..<quote], as: UTF8.self)
            }
        }
        let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        return object?["id"] as? String
    }

    private static func cutTornLine(_ path: String, at length: Int) throws(OutputError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0, truncate(path, off_t(length)) == 0 else {
            throw OutputError.cannotResume(file: path, problem: "cannot cut the torn last line: \(errnoDescription())")
        }
        return Int(info.st_size) - length
    }
}
