import Foundation

/// The vectors of one encoder as Braid stored them, read back in blocks for ``ExactSearch``: a `--db` database's
/// collection, an `--npy` folder's shards, or the JSON lines of `braid embed`. Each block holds at most
/// `blockRows` rows, so the index is never in memory whole.
public struct StoredVectors: Sendable {
    /// A run of rows: their ids, their vectors (rows × dimension) and, per row, what the search prints about it.
    public struct Block {
        public var ids: [String] = []
        public var vectors: [Float] = []
        /// `{"source","meta"}`-bearing JSON of each row, parsed only for the rows a search returns.
        public var details: [String] = []

        var count: Int { ids.count }
    }

    public enum Layout: Sendable, Equatable {
        case database(path: String, collection: String)
        case shards(folder: String)
        case jsonLines(path: String)
    }

    public let layout: Layout
    /// The encoder that made the vectors; a query must be embedded by it.
    public let encoder: String

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
            if let collection { encoder = collection } else { encoder = try Self.firstEncoder(inLines: path) }
        }
    }

    /// Hands the rows to `body` in blocks of up to `blockRows`.
    public func forEachBlock(
        blockRows: Int, _ body: (Block) throws(OutputError) -> Void
    ) throws(OutputError) {
        var block = Block()
        func add(_ id: String, _ vector: [Float], _ details: String) throws(OutputError) {
            block.ids.append(id)
            block.vectors += vector
            block.details.append(details)
            if block.count >= blockRows {
                try body(block)
                block = Block()
            }
        }
        switch layout {
        case .database(let path, let collection):
            let database = try SQLiteDatabase(path: path)
            try database.prepare(
                "select e.id, e.embedding, e.metadata from embeddings e join collections c on c.id = e.collection_id where c.name = ?"
            ).forEachRow([.text(collection)]) { row throws(OutputError) in
                guard case .text(let id) = row[0], case .blob(let bytes) = row[1] else { return }
                let metadata = if case .text(let text) = row[2] { text } else { "{}" }
                try add(id, bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, metadata)
            }
        case .shards(let folder):
            for (array, metadata) in try Self.shards(in: folder) {
                let rows = try Self.lines(metadata)
                let (count, dimension, data) = try Self.readArray(array)
                guard count == rows.count else {
                    throw OutputError.cannotRead(file: metadata, problem: "\(rows.count) lines for \(count) rows")
                }
                for (row, line) in rows.enumerated() {
                    guard let id = ResumeJournal.id(in: line) else { continue }
                    try add(id, Array(data[row * dimension..<(row + 1) * dimension]), String(decoding: line, as: UTF8.self))
                }
            }
        case .jsonLines(let path):
            try Self.forEachLine(path) { line throws(OutputError) in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    object["encoder"] as? String == encoder, let id = object["id"] as? String,
                    let values = object["embedding"] as? [Double]
                else { return }
                try add(id, values.map(Float.init), String(decoding: line, as: UTF8.self))
            }
        }
        if block.count > 0 { try body(block) }
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

    /// A 2-D float32 `.npy` file: rows, columns and the values.
    private static func readArray(_ path: String) throws(OutputError) -> (rows: Int, columns: Int, values: [Float]) {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 10,
            data.prefix(6) == Data([0x93] + Array("NUMPY".utf8))
        else { throw OutputError.cannotRead(file: path, problem: "not a NumPy array") }
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<min(data.count, 10 + headerLength)], as: UTF8.self)
        guard header.contains("'<f4'"), let open = header.range(of: "'shape': ("),
            let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw OutputError.cannotRead(file: path, problem: "not a float32 array") }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let values = data.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        guard shape.count == 2, values.count == shape[0] * shape[1] else {
            throw OutputError.cannotRead(file: path, problem: "not an N×D array of its stated shape")
        }
        return (shape[0], shape[1], values)
    }

    private static func lines(_ path: String) throws(OutputError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        try forEachLine(path) { lines.append($0) }
        return lines
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

    private static func firstEncoder(inLines path: String) throws(OutputError) -> String {
        let reader = try reading(path) { () throws(InputError) in try ByteReader(path: path) }
        while let line = try reading(path, reader.readLine) {
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            if let encoder = object?["encoder"] as? String { return encoder }
        }
        throw OutputError.cannotRead(file: path, problem: "holds no embedding lines")
    }
}
