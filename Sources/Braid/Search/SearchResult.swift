import Foundation

/// One line of `braid search` output: `{"query","id","score","source","meta"}`, a query's matches best first.
public struct SearchResult: OutputLine {
    public let query: String
    public let match: ExactSearch.Match

    public init(query: String, match: ExactSearch.Match) {
        self.query = query
        self.match = match
    }

    public var jsonLine: [UInt8] {
        // The stored row's JSON (a database row's metadata, a shard's metadata line, an embedding line) carries
        // `source` and `meta`.
        let stored = (try? JSONSerialization.jsonObject(with: Data(match.details.utf8))) as? [String: Any] ?? [:]
        let meta = (stored["meta"]).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        var line = JSONLine()
        line.append(key: "query", string: query)
        line.append(key: "id", string: match.id)
        line.append(key: "score", float: match.score)
        line.append(key: "source", string: stored["source"] as? String)
        line.append(key: "meta", json: meta.map { String(decoding: $0, as: UTF8.self) } ?? "{}")
        return line.line
    }
}
