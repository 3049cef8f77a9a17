import Foundation
import Synchronization

/// `--db FILE`: embeddings in a SQLite database laid out as `llm` lays out its collections, so that `llm similar`,
/// `llm collections list` and `llm.Collection` read it unchanged.
///
/// The tables are llm's as its `llm.embeddings` migrations m001-m005 leave them, and those migrations are recorded
/// as applied in `_sqlite_migrations` (sqlite-utils' table), so llm adds nothing. A collection holds one encoder's
/// vectors, its `model` being `braid-ENCODER`. A row is the item's id, its vector as little-endian float32, the MD5
/// of its content (``ContentHash``, llm's `content_hash`), `metadata` as `{"source","modality","meta"}` and
/// `updated` in Unix seconds; `content` is left empty.
///
/// The database is its own journal: an item whose id is present with the same content hash is skipped
/// (``holds(id:contentHash:)``), one whose content changed is embedded again and updated. Rows are written in
/// transactions of `batchSize`, in WAL mode, so a `kill -9` loses at most the open transaction and never corrupts
/// the file.
public final class EmbeddingDatabase: EmbeddingStore {
    public let path: String
    /// Delete, at the end of a complete run, the rows whose source file is gone.
    public let pruneMissingFiles: Bool
    private let state: Mutex<State>

    public var comparesContent: Bool { true }

    /// - Parameters:
    ///   - collection: The collection every vector goes to; nil names each encoder's collection after it.
    ///   - encoders: Encoder names the run may use; their collections are checked before any item is read.
    ///   - batchSize: Rows per transaction.
    ///   - pruneMissingFiles: Delete, at the end of a complete run, the rows whose source file is gone.
    /// - Throws: ``OutputError/cannotWrite(file:problem:)`` when the file is not SQLite, holds tables of another
    ///   schema, or a collection of another encoder's vectors.
    public init(
        path: String, collection: String?, encoders: [String], batchSize: Int, pruneMissingFiles: Bool = false
    ) throws(OutputError) {
        self.path = path
        self.pruneMissingFiles = pruneMissingFiles
        let database = try SQLiteDatabase(path: path)
        // Everything is checked before anything is written, the journal mode included.
        let tables = try Self.checkedTables(database)
        var collections: [String: Int64] = [:]
        let encoderNames = Set(encoders)
        let names = collection.map { [$0] } ?? encoderNames.sorted()
        for encoder in encoderNames where tables.contains("collections") {
            let name = collection ?? encoder
            let rows = try database.rows("select id, model from collections where name = ?", [.text(name)])
            guard let row = rows.first, case .integer(let id) = row[0] else { continue }
            let model = if case .text(let model) = row[1] { model } else { "" }
            // One collection for several encoders is checked as each writes to it.
            if collection == nil || encoderNames.count == 1 {
                guard model == Self.model(of: encoder) else {
                    throw Self.mismatch(path, collection: name, model: model, encoder: encoder)
                }
            }
            collections[name] = id
        }
        try Self.prepareSchema(database, tables: tables)
        state = Mutex(
            State(
                database: database, collection: collection, names: names, collections: collections,
                batchSize: max(1, batchSize)))
    }

    /// llm's `model` column for an encoder's vectors.
    static func model(of encoder: String) -> String { "braid-\(encoder)" }

    /// Whether the item is stored with this content already, in any of the run's collections.
    public func holds(id: String, contentHash: [UInt8]?) -> Bool {
        guard let contentHash else { return false }
        return state.withLock { state in (try? state.holds(id: id, contentHash: contentHash)) ?? false }
    }

    /// Adds the record, or replaces the row of the same id in its collection.
    public func write(_ record: EmbeddingRecord) throws(OutputError) {
        try state.withLock { state throws(OutputError) in try state.write(record, path: path) }
    }

    /// Commits what is written and, after a complete run with ``pruneMissingFiles``, deletes the rows of the run's
    /// collections whose source file is gone.
    public func finish(complete: Bool) throws(OutputError) -> StoreCounts {
        try state.withLock { state throws(OutputError) in
            try state.commit()
            if complete && pruneMissingFiles { try state.prune() }
            return state.counts
        }
    }

    /// The database's tables, the file refused when it is not SQLite or has tables of llm's names with other
    /// columns.
    private static func checkedTables(_ database: SQLiteDatabase) throws(OutputError) -> Set<String> {
        let tables: [[SQLiteDatabase.Value]]
        do {
            tables = try database.rows("select name from sqlite_master where type = 'table'")
        } catch {
            throw OutputError.cannotWrite(file: database.path, problem: "not a SQLite database (\(error))")
        }
        let names = Set(tables.compactMap { if case .text(let name) = $0.first { name } else { nil } })
        for (table, columns) in requiredColumns where names.contains(table) {
            let present = Set(
                try database.rows("select name from pragma_table_info(?)", [.text(table)]).compactMap {
                    if case .text(let name) = $0.first { name } else { nil }
                })
            let missing = columns.filter { !present.contains($0) }
            guard missing.isEmpty else {
                throw OutputError.cannotWrite(
                    file: database.path,
                    problem: "its table '\(table)' is not llm's: no column \(missing.joined(separator: ", "))")
            }
        }
        return names
    }

    /// The tables and indexes llm's migrations create, created when missing, in WAL mode.
    private static func prepareSchema(_ database: SQLiteDatabase, tables names: Set<String>) throws(OutputError) {
        // A 384-float row is 1.5 KB: 4 KB pages hold two and waste a sixth; 16 KB pages hold ten. The size takes
        // effect only in a database without tables, before WAL mode is set.
        if names.isEmpty { try database.execute("pragma page_size = 16384") }
        try database.execute("pragma journal_mode = wal; pragma synchronous = normal")
        guard !names.contains("embeddings") else { return }
        // sqlite-utils writes Python's str() of an aware UTC datetime.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS'+00:00'"
        let applied = formatter.string(from: Date())
        try database.execute("begin")
        try database.execute(schema)
        let record = try database.prepare(
            "insert or ignore into _sqlite_migrations (migration_set, name, applied_at) values ('llm.embeddings', ?, ?)")
        for migration in migrations { try record.run([.text(migration), .text(applied)]) }
        try database.execute("commit")
    }

    private static let requiredColumns = [
        "collections": ["id", "name", "model"],
        "embeddings": ["collection_id", "id", "embedding", "content", "content_blob", "content_hash", "metadata", "updated"],
    ]

    /// llm 0.36's `llm.embeddings` migrations, in order.
    private static let migrations = [
        "m001_create_tables", "m002_foreign_key", "m003_add_updated", "m004_store_content_hash",
        "m005_add_content_blob",
    ]

    /// What those migrations leave, as sqlite-utils writes it.
    private static let schema = """
        create table if not exists "_sqlite_migrations" (
           "id" integer primary key, "migration_set" text, "name" text, "applied_at" text);
        create unique index if not exists "idx__sqlite_migrations_migration_set_name"
            on "_sqlite_migrations" ("migration_set", "name");
        create table if not exists "collections" ("id" integer primary key, "name" text, "model" text);
        create unique index if not exists "idx_collections_name" on "collections" ("name");
        create table "embeddings" (
           "collection_id" integer references "collections"("id"), "id" text, "embedding" blob, "content" text,
           "content_blob" blob, "content_hash" blob, "metadata" text, "updated" integer,
           primary key ("collection_id", "id"));
        create index "idx_embeddings_content_hash" on "embeddings" ("content_hash");
        """

    private static func mismatch(_ path: String, collection: String, model: String, encoder: String) -> OutputError {
        .cannotWrite(
            file: path,
            problem:
                "collection '\(collection)' holds \(model)'s vectors, not \(Self.model(of: encoder))'s; name another with '--collection'"
        )
    }

    /// The connection and what the run has done with it, behind the lock.
    private final class State {
        let database: SQLiteDatabase
        let collection: String?
        /// The collections the run may write to.
        let names: [String]
        /// Whether an id is stored with a content hash in one of them: the query of every item's skip check.
        let holdsQuery: String
        var collections: [String: Int64]
        let batchSize: Int
        var counts = StoreCounts()
        var pending = 0
        private var statements: [String: SQLiteDatabase.Statement] = [:]

        init(
            database: SQLiteDatabase, collection: String?, names: [String], collections: [String: Int64],
            batchSize: Int
        ) {
            self.database = database
            self.collection = collection
            self.names = names
            holdsQuery = """
                select 1 from embeddings where id = ? and content_hash = ?
                and collection_id in (select id from collections where name in (\(names.map { _ in "?" }.joined(separator: ", "))))
                """
            self.collections = collections
            self.batchSize = batchSize
        }

        /// The statement for `sql`, prepared once.
        private func statement(_ sql: String) throws(OutputError) -> SQLiteDatabase.Statement {
            if let statement = statements[sql] { return statement }
            let statement = try database.prepare(sql)
            statements[sql] = statement
            return statement
        }

        func holds(id: String, contentHash: [UInt8]) throws(OutputError) -> Bool {
            let rows = try statement(holdsQuery).rows(
                [.text(id), .blob(contentHash)] + names.map(SQLiteDatabase.Value.text))
            return !rows.isEmpty
        }

        func write(_ record: EmbeddingRecord, path: String) throws(OutputError) {
            if pending == 0 { try database.execute("begin") }
            let collectionID = try collectionID(for: record.encoder, path: path)
            let key: [SQLiteDatabase.Value] = [.integer(collectionID), .text(record.id)]
            let exists = try !statement("select 1 from embeddings where collection_id = ? and id = ?").rows(key).isEmpty
            // llm's `encode`: struct.pack("<f…"); x86-64 and arm64 store floats little-endian as it is.
            let vector = record.embedding.withUnsafeBytes { Array($0) }
            try statement(
                """
                insert into embeddings (collection_id, id, embedding, content_hash, metadata, updated)
                values (?, ?, ?, ?, ?, ?)
                on conflict (collection_id, id) do update set embedding = excluded.embedding,
                  content_hash = excluded.content_hash, metadata = excluded.metadata, updated = excluded.updated
                """
            ).run(
                key + [
                    .blob(vector), record.contentHash.map(SQLiteDatabase.Value.blob) ?? .null,
                    .text(Self.metadata(of: record)), .integer(Int64(Date().timeIntervalSince1970)),
                ])
            if exists { counts.updated += 1 } else { counts.added += 1 }
            pending += 1
            if pending >= batchSize { try commit() }
        }

        func commit() throws(OutputError) {
            guard pending > 0 else { return }
            try database.execute("commit")
            pending = 0
        }

        /// Deletes rows of the collections written to whose `source` file no longer exists.
        func prune() throws(OutputError) {
            let ids = Array(collections.values)
            for collectionID in ids {
                let rows = try database.rows(
                    "select id, metadata from embeddings where collection_id = ?", [.integer(collectionID)])
                let gone = rows.compactMap { row -> String? in
                    guard case .text(let id) = row[0], case .text(let metadata) = row[1],
                        let object = try? JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? [String: Any],
                        let source = object["source"] as? String, !FileManager.default.fileExists(atPath: source)
                    else { return nil }
                    return id
                }
                guard !gone.isEmpty else { continue }
                try database.execute("begin")
                let delete = try database.prepare("delete from embeddings where collection_id = ? and id = ?")
                for id in gone { try delete.run([.integer(collectionID), .text(id)]) }
                try database.execute("commit")
                counts.pruned += gone.count
            }
        }

        private func collectionID(for encoder: String, path: String) throws(OutputError) -> Int64 {
            let name = collection ?? encoder
            if let id = collections[name] {
                if collection != nil {
                    let model = try database.rows("select model from collections where id = ?", [.integer(id)])
                    guard model.first?.first == .text(EmbeddingDatabase.model(of: encoder)) else {
                        let stored = if case .text(let text) = model.first?.first { text } else { "another encoder" }
                        throw EmbeddingDatabase.mismatch(path, collection: name, model: stored, encoder: encoder)
                    }
                }
                return id
            }
            try database.prepare("insert into collections (name, model) values (?, ?)").run([
                .text(name), .text(EmbeddingDatabase.model(of: encoder)),
            ])
            let rows = try database.rows("select id from collections where name = ?", [.text(name)])
            guard case .integer(let id) = rows.first?.first else {
                throw OutputError.cannotWrite(file: path, problem: "collection '\(name)' was not created")
            }
            collections[name] = id
            return id
        }

        /// `{"source","modality","meta"}`, as the JSON lines carry them.
        private static func metadata(of record: EmbeddingRecord) -> String {
            var object = JSONLine()
            object.append(key: "source", string: record.source)
            object.append(key: "modality", string: record.modality.rawValue)
            object.append(key: "meta", meta: record.meta)
            return String(decoding: object.line.dropLast(), as: UTF8.self)
        }
    }
}
