import Foundation

/// The vectors of one encoder as Braid stored them, read back in blocks for ``ExactSearch``: a `--db` database's
/// collection, an `--npy` folder's shards, or the JSON lines of `braid embed`. Each block holds at most
/// `blockRows` rows, so the index is never in memory whole.
public struct StoredVectors: Sendable {
    /// A run of rows: their vectors and where their ids and details are.
    public struct Block {
        /// Rows × dimension values, valid only while the block is being handed over.
        public let vectors: UnsafeBufferPointer<Float>
        public let count: Int
        let rows: Rows
    }

    /// A stored row as a search returns it: its id and the stored JSON that carries its `source` and `meta`
    /// (a database row's metadata, a shard's metadata line, an embedding line).
    public struct Row: Sendable {
        public let id: String
        public let details: String
    }

    /// Where a block's rows are described: alongside (database, JSON lines), or in a shard's metadata file, read
    /// only for the rows a search returns.
    enum Rows {
        case inline([Row])
        case shard(index: Int, firstRow: Int)
    }

    /// One row of a block, kept by a search until it knows which rows it returns.
    enum RowReference {
        case inline(Row)
        case shard(index: Int, row: Int)
    }

    public enum Layout: Sendable, Equatable {
        case database(path: String, collection: String)
        case shards(folder: String)
        case jsonLines(path: String)
    }

    public let layout: Layout
    /// The encoder that made the vectors; a query must be embedded by it.
    public let encoder: String

    /// The file or folder the vectors are read from, for messages.
    public var path: String {
        switch layout {
        case .database(let path, _), .jsonLines(let path): path
        case .shards(let folder): folder
        }
    }

    /// The vectors at `path`: a SQLite file, an `--npy` folder (or one encoder's folder in it), or a JSONL file.
    ///
    /// - Parameter collection: Which collection of a database, encoder folder of an `--npy` folder or encoder of
    ///   a JSONL file; needed only when there are several.
    public init(path: String, collection: String?) throws(OutputError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw OutputError.cannotRead(file: path, problem: "no such file or folder")
        }
        if isFolder.boolValue {
            let folder = try Self.encoderFolder(path, collection: collection)
            layout = .shards(folder: folder)
            encoder = URL(fileURLWithPath: folder).lastPathComponent
        } else if Self.isSQLite(path) {
            let database = try SQLiteDatabase(path: path)
            let collections = try database.rows("select name, model from collections order by name").compactMap {
                row -> (name: String, model: String)? in
                guard case .text(let name) = row[0], case .text(let model) = row[1] else { return nil }
                return (name, model)
            }
            let chosen = try Self.choose(collections.map(\.name), collection, in: path, kind: "collection")
            let model = collections.first { $0.name == chosen }?.model ?? ""
            guard model.hasPrefix("braid-") else {
                throw OutputError.cannotRead(
                    file: path, problem: "collection '\(chosen)' holds \(model)'s vectors, which Braid cannot embed a query for")
            }
            layout = .database(path: path, collection: chosen)
            encoder = String(model.dropFirst("braid-".count))
        } else {
            layout = .jsonLines(path: path)
            if let collection {
                encoder = collection
            } else {
                encoder = try Self.firstEmbeddingLine(in: path, encoder: nil)["encoder"] as? String ?? ""
            }
        }
    }

    /// Hands the rows to `body` in blocks of up to `blockRows`. Shards are mapped from their files, a block at a
    /// time going straight to the caller; database rows and JSON lines are gathered into blocks.
    public func forEachBlock(
        blockRows: Int, _ body: (Block) throws(OutputError) -> Void
    ) throws(OutputError) {
        var values: [Float] = []
        var rows: [Row] = []
        func add(_ row: Row, _ vector: [Float]) throws(OutputError) {
            rows.append(row)
            values.append(contentsOf: vector)
            guard rows.count >= blockRows else { return }
            try flush()
        }
        func flush() throws(OutputError) {
            guard !rows.isEmpty else { return }
            try values.withUnsafeBufferPointer { values throws(OutputError) in
                try body(Block(vectors: values, count: rows.count, rows: .inline(rows)))
            }
            values.removeAll(keepingCapacity: true)
            rows.removeAll(keepingCapacity: true)
        }
        switch layout {
        case .database(let path, let collection):
            let database = try SQLiteDatabase(path: path)
            try database.prepare(
                "select e.id, e.embedding, e.metadata from embeddings e join collections c on c.id = e.collection_id where c.name = ?"
            ).forEachRow([.text(collection)]) { row throws(OutputError) in
                guard case .text(let id) = row[0], case .blob(let bytes) = row[1] else { return }
                let metadata = if case .text(let text) = row[2] { text } else { "{}" }
                try add(Row(id: id, details: metadata), bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
            }
        case .shards(let folder):
            for (index, shard) in try Self.shards(in: folder).enumerated() {
                let array = try MappedArray(path: shard.array)
                for first in stride(from: 0, to: array.rows, by: blockRows) {
                    let count = min(blockRows, array.rows - first)
                    let vectors = UnsafeBufferPointer(
                        rebasing: array.values[first * array.columns..<(first + count) * array.columns])
                    try body(Block(vectors: vectors, count: count, rows: .shard(index: index, firstRow: first)))
                }
            }
        case .jsonLines(let path):
            try Self.forEachLine(path) { line throws(OutputError) in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    object["encoder"] as? String == encoder, let id = object["id"] as? String,
                    let vector = EmbeddingFormat.vector(from: object["embedding"])
                else { return }
                try add(Row(id: id, details: String(decoding: line, as: UTF8.self)), vector)
            }
        }
        try flush()
    }

    /// The length of the stored vectors, read from the first one.
    public func dimension() throws(OutputError) -> Int {
        switch layout {
        case .database(let path, let collection):
            let rows = try SQLiteDatabase(path: path).rows(
                "select length(e.embedding) from embeddings e join collections c on c.id = e.collection_id where c.name = ? limit 1",
                [.text(collection)])
            guard case .integer(let bytes) = rows.first?.first else {
                throw OutputError.cannotRead(file: path, problem: "collection '\(collection)' is empty")
            }
            return Int(bytes) / MemoryLayout<Float>.size
        case .shards(let folder):
            guard let first = try Self.shards(in: folder).first else {
                throw OutputError.cannotRead(file: folder, problem: "holds no shards")
            }
            return try MappedArray(path: first.array).columns
        case .jsonLines(let path):
            return EmbeddingFormat.vector(from: try Self.firstEmbeddingLine(in: path, encoder: encoder)["embedding"])?.count
                ?? 0
        }
    }

    /// The rows the references point at, in their order: shard rows read from their metadata files, each file
    /// once.
    func rows(_ references: [RowReference]) throws(OutputError) -> [Row] {
        guard case .shards(let folder) = layout else {
            return references.compactMap { if case .inline(let row) = $0 { row } else { nil } }
        }
        let shards = try Self.shards(in: folder)
        var wanted: [Int: Set<Int>] = [:]
        for case .shard(let index, let row) in references { wanted[index, default: []].insert(row) }
        var found: [Int: [Int: Row]] = [:]
        for (index, rowsWanted) in wanted {
            var number = 0
            try Self.forEachLine(shards[index].metadata) { line throws(OutputError) in
                defer { number += 1 }
                guard rowsWanted.contains(number), let id = ResumeJournal.id(in: line) else { return }
                found[index, default: [:]][number] = Row(id: id, details: String(decoding: line, as: UTF8.self))
            }
        }
        return try references.map { reference throws(OutputError) in
            switch reference {
            case .inline(let row): return row
            case .shard(let index, let row):
                guard let found = found[index]?[row] else {
                    throw OutputError.cannotRead(file: shards[index].metadata, problem: "no line for row \(row)")
                }
                return found
            }
        }
    }

    private static func isSQLite(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 16) else {
            return false
        }
        return head == Data("SQLite format 3\0".utf8)
    }

    private static func choose(_ names: [String], _ wanted: String?, in path: String, kind: String) throws(OutputError)
        -> String
    {
        if let wanted {
            guard names.contains(wanted) else {
                throw OutputError.cannotRead(
                    file: path, problem: "no \(kind) '\(wanted)'; it holds \(names.joined(separator: ", "))")
            }
            return wanted
        }
        guard names.count == 1 else {
            throw OutputError.cannotRead(
                file: path,
                problem: names.isEmpty
                    ? "holds no \(kind)" : "holds several: \(names.joined(separator: ", ")); choose one with '--collection'")
        }
        return names[0]
    }

    /// An `--npy` folder's encoder folder, or the folder itself when it holds shards.
    private static func encoderFolder(_ path: String, collection: String?) throws(OutputError) -> String {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
            throw OutputError.cannotRead(file: path, problem: "\(error)")
        }
        if names.contains(where: { $0.hasPrefix("embeddings-") && $0.hasSuffix(".npy") }) { return path }
        let encoders = names.filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isFolder) && isFolder.boolValue
        }
        return path + "/" + (try choose(encoders, collection, in: path, kind: "encoder folder"))
    }

    /// Whole shards: each array with its metadata, in shard order.
    private static func shards(in folder: String) throws(OutputError) -> [(array: String, metadata: String)] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted() } catch {
            throw OutputError.cannotRead(file: folder, problem: "\(error)")
        }
        return names.filter { $0.hasPrefix("embeddings-") && $0.hasSuffix(".npy") }.map { name in
            let index = name.dropFirst("embeddings-".count).dropLast(".npy".count)
            return (folder + "/" + name, folder + "/metadata-\(index).jsonl")
        }
    }

    private static func forEachLine(_ path: String, _ body: ([UInt8]) throws(OutputError) -> Void) throws(OutputError) {
        let reader = try reading(path) { () throws(InputError) in try ByteReader(path: path) }
        while let line = try reading(path, reader.readLine) { try body(line) }
    }

    private static func reading<Value>(
        _ path: String, _ read: () throws(InputError) -> Value
    ) throws(OutputError) -> Value {
        do { return try read() } catch { throw OutputError.cannotRead(file: path, problem: error.problem) }
    }

    /// The first embedding line of a JSONL file (of `encoder`, when given), read no further.
    private static func firstEmbeddingLine(in path: String, encoder: String?) throws(OutputError) -> [String: Any] {
        let reader = try reading(path) { () throws(InputError) in try ByteReader(path: path) }
        while let line = try reading(path, reader.readLine) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let name = object["encoder"] as? String, EmbeddingFormat.vector(from: object["embedding"]) != nil,
                encoder == nil || name == encoder
            else { continue }
            return object
        }
        throw OutputError.cannotRead(file: path, problem: "holds no \(encoder.map { "\($0) " } ?? "")embedding lines")
    }
}
