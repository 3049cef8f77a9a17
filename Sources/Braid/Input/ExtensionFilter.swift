/// Which files found in folders become items, by file name extension (`--include png,wav`, `--exclude txt`).
///
/// Extensions compare case-insensitively (ASCII), without the dot: `photo.JPG` has extension `jpg`; a name
/// without a dot after its first character (`README`, `.profile`) has the empty extension.
public struct ExtensionFilter: Sendable, Equatable {
    /// If not empty, only these extensions pass.
    public let include: Set<String>
    /// These extensions never pass.
    public let exclude: Set<String>

    /// - Parameters:
    ///   - include: Extensions to keep (all when empty); a leading dot is ignored.
    ///   - exclude: Extensions to drop, checked after `include`.
    public init(include: [String] = [], exclude: [String] = []) {
        self.include = Set(include.map(Self.normalized))
        self.exclude = Set(exclude.map(Self.normalized))
    }

    /// Whether the file at `path` (raw bytes; only the part after the last `/` counts) passes.
    func accepts(name path: [UInt8]) -> Bool {
        let name = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last ?? []
        var fileExtension = ""
        if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
            fileExtension = Self.normalized(String(decoding: name[name.index(after: dot)...], as: UTF8.self))
        }
        if !include.isEmpty && !include.contains(fileExtension) { return false }
        return !exclude.contains(fileExtension)
    }

    private static func normalized(_ fileExtension: String) -> String {
        let trimmed = fileExtension.hasPrefix(".") ? fileExtension.dropFirst() : Substring(fileExtension)
        return String(trimmed.map { $0.isASCII ? Character($0.lowercased()) : $0 })
    }
}
