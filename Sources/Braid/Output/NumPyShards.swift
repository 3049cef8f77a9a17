import Foundation
import Synchronization

/// `--npy DIR`: each encoder's vectors as NumPy shards for vector indexes (FAISS, autofaiss), as clip-retrieval
/// writes them: `DIR/ENCODER/embeddings-00000.npy`, an N×D float32 array of up to `shardSize` rows, beside
/// `DIR/ENCODER/metadata-00000.jsonl`, one `{"id","source","modality","encoder","meta"}` line per row in the same
/// order.
///
/// A shard is written under `.partial` names and renamed when it is whole (the metadata first, then the array),
/// so a crash leaves only whole shards and partial files, which the next run deletes. The folder is its own
/// journal: a rerun skips the ids its whole shards hold, and adds new shards after them. Rows are never rewritten,
/// so an item whose content changed is not embedded again (the database, ``EmbeddingDatabase``, does that).
public final class NumPyShards: EmbeddingStore {
    public let folder: String
    private let state: Mutex<State>

    public var comparesContent: Bool { false }

    /// - Parameters:
    ///   - shardSize: Rows per shard.
    ///   - dimensions: Each encoder's vector length, checked against its existing shards before any item.
    /// - Throws: ``OutputError/cannotWrite(file:problem:)`` when the folder cannot be made or read, or an encoder's
    ///   shards hold vectors of another length.
    public init(folder: String, shardSize: Int, dimensions: [String: Int]) throws(OutputError) {
        self.folder = folder
        var encoders: [String: Encoder] = [:]
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
                var isFolder: ObjCBool = false
                let path = (folder as NSString).appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                    continue
                }
                encoders[name] = try Encoder(folder: path, expectedDimension: dimensions[name])
            }
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError.cannotWrite(file: folder, problem: "\(error)")
        }
        state = Mutex(State(folder: folder, shardSize: max(1, shardSize), encoders: encoders))
    }

    public func holds(id: String, contentHash: [UInt8]?) -> Bool {
        state.withLock { state in state.encoders.values.contains { $0.storedIDs.contains(id) } }
    }

    public func write(_ record: EmbeddingRecord) throws(OutputError) {
        try state.withLock { state throws(OutputError) in try state.write(record) }
    }

    public func finish(complete: Bool) throws(OutputError) -> StoreCounts {
        try state.withLock { state throws(OutputError) in
            for name in state.encoders.keys.sorted() { try state.encoders[name]?.closeShard() }
            return state.counts
        }
    }

    private struct State {
        let folder: String
        let shardSize: Int
        var encoders: [String: Encoder]
        var counts = StoreCounts()

        mutating func write(_ record: EmbeddingRecord) throws(OutputError) {
            let path = (folder as NSString).appendingPathComponent(record.encoder)
            if encoders[record.encoder] == nil {
                do {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                } catch {
                    throw OutputError.cannotWrite(file: path, problem: "\(error)")
                }
                encoders[record.encoder] = try Encoder(folder: path, expectedDimension: nil)
            }
            try encoders[record.encoder]!.append(record, shardSize: shardSize)
            counts.added += 1
        }
    }

    /// One encoder's folder: the ids of its whole shards and the shard being written.
    private struct Encoder {
        let folder: String
        var storedIDs: Set<String> = []
        var nextShard = 0
        var dimension: Int?
        var open: OpenShard?

        /// Reads the whole shards' ids and dimension, and deletes what an interrupted run left.
        init(folder: String, expectedDimension: Int?) throws(OutputError) {
            self.folder = folder
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder)
            } catch {
                throw OutputError.cannotWrite(file: folder, problem: "\(error)")
            }
            for name in names where name.hasSuffix(".partial") { unlink(path(name)) }
            for name in names where name.hasPrefix("metadata-") && name.hasSuffix(".jsonl") {
                let index = String(name.dropFirst("metadata-".count).dropLast(".jsonl".count))
                let array = path("embeddings-\(index).npy")
                guard let number = Int(index), FileManager.default.fileExists(atPath: array) else {
                    // Renamed just before a crash stopped its array's rename: not a whole shard.
                    unlink(path(name))
                    continue
                }
                nextShard = max(nextShard, number + 1)
                let columns = try MappedArray(path: array).columns
                if let known = dimension ?? expectedDimension, columns != known {
                    throw OutputError.cannotWrite(
                        file: array,
                        problem: "holds vectors of \(columns) values, the encoder makes \(known): use another '--npy' folder")
                }
                dimension = columns
                try storedIDs.formUnion(Self.ids(in: path(name)))
            }
        }

        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

        mutating func append(_ record: EmbeddingRecord, shardSize: Int) throws(OutputError) {
            if let dimension, dimension != record.embedding.count {
                throw OutputError.cannotWrite(
                    file: folder,
                    problem: "\(record.id) has \(record.embedding.count) values, the shards hold \(dimension)")
            }
            dimension = record.embedding.count
            if open == nil {
                open = try OpenShard(
                    arrayPath: path(String(format: "embeddings-%05d.npy", nextShard)),
                    metadataPath: path(String(format: "metadata-%05d.jsonl", nextShard)), columns: record.embedding.count)
                nextShard += 1
            }
            try open!.append(record)
            storedIDs.insert(record.id)
            if open!.rows >= shardSize { try closeShard() }
        }

        mutating func closeShard() throws(OutputError) {
            try open?.close()
            open = nil
        }

        private static func ids(in metadata: String) throws(OutputError) -> [String] {
            do throws(InputError) {
                let reader = try ByteReader(path: metadata)
                var ids: [String] = []
                while let line = try reader.readLine() {
                    guard let id = ResumeJournal.id(in: line) else { continue }
                    ids.append(id)
                }
                return ids
            } catch {
                throw OutputError.cannotWrite(file: metadata, problem: error.problem)
            }
        }
    }

    /// A shard being written: the array's data streams after a 128-byte header whose row count is filled in at the
    /// end.
    private struct OpenShard {
        static let headerLength = 128
        let arrayPath: String
        let metadataPath: String
        let columns: Int
        let array: FileHandle
        let metadata: FileHandle
        var rows = 0

        init(arrayPath: String, metadataPath: String, columns: Int) throws(OutputError) {
            self.arrayPath = arrayPath
            self.metadataPath = metadataPath
            self.columns = columns
            for path in [arrayPath, metadataPath] {
                guard FileManager.default.createFile(atPath: path + ".partial", contents: nil) else {
                    throw OutputError.cannotWrite(file: path, problem: "cannot create \(path).partial")
                }
            }
            guard let array = FileHandle(forWritingAtPath: arrayPath + ".partial"),
                let metadata = FileHandle(forWritingAtPath: metadataPath + ".partial")
            else { throw OutputError.cannotWrite(file: arrayPath, problem: "cannot open the shard's files") }
            self.array = array
            self.metadata = metadata
            try write(NumPyArray.header(.float32, shape: [0, columns], length: Self.headerLength), to: array, arrayPath)
        }

        mutating func append(_ record: EmbeddingRecord) throws(OutputError) {
            try write(record.embedding.withUnsafeBytes { Array($0) }, to: array, arrayPath)
            var line = JSONLine()
            line.append(key: "id", string: record.id)
            line.append(key: "source", string: record.source)
            line.append(key: "modality", string: record.modality.rawValue)
            line.append(key: "encoder", string: record.encoder)
            line.append(key: "meta", meta: record.meta)
            try write(line.line, to: metadata, metadataPath)
            rows += 1
        }

        /// Fills in the row count, makes both files durable and renames them, the metadata first.
        func close() throws(OutputError) {
            do {
                try array.seek(toOffset: 0)
                try array.write(contentsOf: NumPyArray.header(.float32, shape: [rows, columns], length: Self.headerLength))
                try array.synchronize()
                try metadata.synchronize()
                try array.close()
                try metadata.close()
            } catch {
                throw OutputError.cannotWrite(file: arrayPath, problem: "\(error)")
            }
            for path in [metadataPath, arrayPath] where rename(path + ".partial", path) != 0 {
                throw OutputError.cannotWrite(file: path, problem: String(cString: strerror(errno)))
            }
        }

        private func write(_ bytes: [UInt8], to handle: FileHandle, _ path: String) throws(OutputError) {
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                throw OutputError.cannotWrite(file: path, problem: "\(error)")
            }
        }
    }
}
