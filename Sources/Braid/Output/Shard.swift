/// `--shard i/N`: splits the items of one run across N machines or processes without coordination.
///
/// An item belongs to shard `i` when FNV-1a 64 of the UTF-8 bytes of its id, taken modulo `N`, equals `i`
/// (offset basis 0xcbf29ce484222325, prime 0x100000001b3; http://www.isthe.com/chongo/tech/comp/fnv/). The hash
/// depends only on the id, so the split is the same on every run and machine, and the N shards together hold
/// every item exactly once.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// Which shard this is, from 0.
    public let index: Int
    /// How many shards there are.
    public let count: Int

    /// - Parameters:
    ///   - index: This shard, in `0..<count`.
    ///   - count: The number of shards, at least 1.
    /// - Throws: ``ShardError`` when `index` is outside `0..<count`.
    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1, (0..<count).contains(index) else {
            throw ShardError(text: "\(index)/\(count)", problem: "needs 0 ≤ i < N")
        }
        self.index = index
        self.count = count
    }

    /// Parses the `i/N` form of `--shard`, e.g. `0/4`.
    public init(parsing text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardError(text: text, problem: "expected i/N, e.g. 0/4")
        }
        try self.init(index: index, count: count)
    }

    /// Whether the item with `id` is processed by this shard.
    public func contains(_ id: String) -> Bool {
        Self.fnv1a64(id.utf8) % UInt64(count) == UInt64(index)
    }

    public var description: String { "\(index)/\(count)" }

    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}

/// A `--shard` value that is not `i/N` with 0 ≤ i < N.
public struct ShardError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let problem: String
    public var description: String { "invalid shard '\(text)': \(problem)" }
}
