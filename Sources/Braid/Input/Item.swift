/// One unit of work flowing through the pipeline: a stable id and where its bytes come from.
public struct Item: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A file on disk, read by the decoder itself (so large media stream from disk).
        case file(path: String)
        /// Bytes already in memory: stdin, a tar member, a test.
        case bytes([UInt8])
        /// A text given directly (a line of `--lines`, a `text` of `--records`).
        case text(String)
        /// Bytes still arriving on a pipe (stdin): read once, front to back, as the decoder needs them.
        case stream(ByteStream)
    }

    /// The relative path, the tar member name, `stdin`, a line number or a record's own id.
    public let id: String
    public let source: Source

    public init(id: String, source: Source) {
        self.id = id
        self.source = source
    }
}

extension Item: Identifiable {}
