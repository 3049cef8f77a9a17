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
        /// Media its input already decoded (an IDX record's pixels), passed through the decode stage as it is.
        case decoded(Media)
        /// The parts of one multimodal item (a record's `image` and `audio`), each decoded on its own and joined by
        /// the Fuse stage.
        case parts([Part])
    }

    /// One part of a multimodal item: the modality it must decode to and where its bytes come from.
    public struct Part: Sendable, Equatable {
        public let modality: Modality
        /// The part's file or other name, which its errors carry.
        public let name: String
        public let source: Source

        public init(modality: Modality, name: String, source: Source) {
            self.modality = modality
            self.name = name
            self.source = source
        }
    }

    /// The relative path, the tar member name, `stdin`, a line number or a record's own id.
    public let id: String
    public let source: Source
    /// The class the input assigns the item, when it assigns one (a record's `label`, an IDX labels file):
    /// training and evaluation data.
    public var label: String?
    /// The MD5 of the content (``ContentHash``), when a store that skips unchanged content asked for it.
    public var contentHash: [UInt8]?

    public init(id: String, source: Source, label: String? = nil) {
        self.id = id
        self.source = source
        self.label = label
    }
}

extension Item: Identifiable {}
