/// One line of `braid embed` output: an item's embedding and where it came from.
///
/// Written by ``JSONLWriter`` with keys always in this order:
/// `{"id","source","modality","encoder","dim","embedding":[…],"meta":{…}}`.
public struct EmbeddingRecord: Sendable, Equatable {
    /// The item id (see ``Item/id``).
    public let id: String
    /// The file the item was read from when it was a file on disk, else `nil` (written as `null`).
    public let source: String?
    public let modality: Modality
    /// The encoder's name, e.g. `minilm`.
    public let encoder: String
    public let embedding: [Float]
    /// Extra facts about the item (image size, audio duration…), written with keys in sorted order.
    public let meta: [String: MetaValue]
    /// The item's ``Item/contentHash``, for a store that skips unchanged content; not part of the JSON line.
    public var contentHash: [UInt8]?

    /// The embedding's length, written as `dim`.
    public var dimension: Int { embedding.count }

    /// - Parameters:
    ///   - id: The item id.
    ///   - source: The file path for file items, `nil` otherwise.
    ///   - modality: The decoded modality.
    ///   - encoder: The encoder's name.
    ///   - embedding: The vector.
    ///   - meta: Extra facts, empty by default.
    public init(
        id: String, source: String?, modality: Modality, encoder: String, embedding: [Float],
        meta: [String: MetaValue] = [:]
    ) {
        self.id = id
        self.source = source
        self.modality = modality
        self.encoder = encoder
        self.embedding = embedding
        self.meta = meta
    }

    /// A record for `item`, taking `source` from it: the path of a `.file` item, `nil` for bytes and texts.
    public init(item: Item, modality: Modality, encoder: String, embedding: [Float], meta: [String: MetaValue] = [:]) {
        let source: String? = if case .file(let path) = item.source { path } else { nil }
        self.init(id: item.id, source: source, modality: modality, encoder: encoder, embedding: embedding, meta: meta)
        contentHash = item.contentHash
    }
}

/// A value in an output record's `meta` object.
public enum MetaValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
}

/// A record the output writes as one JSON line.
public protocol OutputLine: Sendable {
    /// The line's bytes, with its trailing newline.
    var jsonLine: [UInt8] { get }
    /// The embedding the line holds, for an output that stores vectors rather than lines (``EmbeddingDatabase``);
    /// nil for other lines.
    var embeddingRecord: EmbeddingRecord? { get }
}

extension OutputLine {
    public var embeddingRecord: EmbeddingRecord? { nil }
}

extension EmbeddingRecord: OutputLine {
    public var embeddingRecord: EmbeddingRecord? { self }

    /// `{"id","source","modality","encoder","dim","embedding":[…],"meta":{…}}`, keys always in this order.
    public var jsonLine: [UInt8] { jsonLine(embedding: .float) }

    /// The line with the embedding written in `format`.
    public func jsonLine(embedding format: EmbeddingFormat) -> [UInt8] {
        var line = JSONLine()
        line.append(key: "id", string: id)
        line.append(key: "source", string: source)
        line.append(key: "modality", string: modality.rawValue)
        line.append(key: "encoder", string: encoder)
        line.append(key: "dim", integer: dimension)
        line.append(key: "embedding", floats: embedding, as: format)
        line.append(key: "meta", meta: meta)
        return line.line
    }
}

/// A record already turned into its line by the stage that made it. Formatting hundreds of floats per line
/// is work; done in the encode stage's jobs it runs on every core instead of on the single writer. For an output
/// that stores vectors the record is kept as it is instead, and never formatted.
public struct RenderedLine: OutputLine, Equatable {
    public let jsonLine: [UInt8]
    public let embeddingRecord: EmbeddingRecord?

    public init(_ record: some OutputLine) {
        self.init(jsonLine: record.jsonLine)
    }

    /// An embedding's line, its vector written in `format`.
    public init(_ record: EmbeddingRecord, embedding format: EmbeddingFormat) {
        self.init(jsonLine: record.jsonLine(embedding: format))
    }

    private init(jsonLine: [UInt8]) {
        self.jsonLine = jsonLine
        embeddingRecord = nil
    }

    /// The record kept for a store, unformatted.
    public init(keeping record: EmbeddingRecord) {
        jsonLine = []
        embeddingRecord = record
    }
}
