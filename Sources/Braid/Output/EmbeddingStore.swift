/// Where a run's vectors go instead of JSON lines (`--db`, `--npy`), which is also its own journal: an item the
/// store holds is skipped before it is decoded, so a rerun after a crash or over a grown folder embeds only
/// what is missing or changed.
public protocol EmbeddingStore: AnyObject, Sendable {
    /// Whether the store compares content, so items must carry their ``Item/contentHash``.
    var comparesContent: Bool { get }
    /// Whether the item is stored already (with this content, when the store compares content).
    func holds(id: String, contentHash: [UInt8]?) -> Bool
    func write(_ record: EmbeddingRecord) throws(OutputError)
    /// Makes everything written durable; `complete` says that the run went through every item (not interrupted),
    /// which pruning needs.
    func finish(complete: Bool) throws(OutputError) -> StoreCounts
}

/// What a run did to its store.
public struct StoreCounts: Sendable, Equatable {
    public var added = 0
    public var updated = 0
    public var pruned = 0

    public init() {}
}
