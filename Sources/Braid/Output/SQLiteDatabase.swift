import CSQLite

/// A connection to a SQLite database through Debian's libsqlite3: SQL run as it is or prepared once and run with
/// bound values. Every failure is an ``OutputError`` naming the file. Not for concurrent use: its owner serialises
/// calls (``EmbeddingCollection`` holds it behind a lock).
final class SQLiteDatabase {
    /// A value bound to a statement's `?` or read from a result column.
    enum Value: Equatable {
        case null
        case integer(Int64)
        case text(String)
        case blob([UInt8])
    }

    let path: String
    private var connection: OpaquePointer?

    /// Opens (creating when missing) the database at `path`.
    init(path: String) throws(OutputError) {
        self.path = path
        let status = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard status == SQLITE_OK else {
            let problem = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(connection)
            throw OutputError.cannotWrite(file: path, problem: "SQLite: \(problem)")
        }
        // A writer and a reader (`braid search`, `llm similar`) may meet: wait for the other's lock a while
        // instead of failing at once.
        sqlite3_busy_timeout(connection, 10_000)
    }

    deinit { sqlite3_close_v2(connection) }

    /// Runs one or more statements that return no rows the caller needs.
    func execute(_ sql: String) throws(OutputError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(connection, sql, nil, nil, &message) == SQLITE_OK else {
            let problem = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw failure(problem)
        }
    }

    /// The rows of a query, each as its column values.
    func rows(_ sql: String, _ values: [Value] = []) throws(OutputError) -> [[Value]] {
        let statement = try prepare(sql)
        return try statement.rows(values)
    }

    func prepare(_ sql: String) throws(OutputError) -> Statement {
        var handle: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &handle, nil) == SQLITE_OK, let handle else {
            throw failure(String(cString: sqlite3_errmsg(connection)))
        }
        return Statement(handle: handle, database: self)
    }

    fileprivate func failure(_ problem: String) -> OutputError {
        OutputError.cannotWrite(file: path, problem: "SQLite: \(problem)")
    }

    fileprivate var lastError: String { String(cString: sqlite3_errmsg(connection)) }

    /// A prepared statement, reset and run again for each set of values.
    final class Statement {
        private let handle: OpaquePointer
        private let database: SQLiteDatabase

        fileprivate init(handle: OpaquePointer, database: SQLiteDatabase) {
            self.handle = handle
            self.database = database
        }

        deinit { sqlite3_finalize(handle) }

        /// Runs the statement with `values` bound to its parameters, in order.
        func run(_ values: [Value] = []) throws(OutputError) {
            _ = try rows(values)
        }

        func rows(_ values: [Value]) throws(OutputError) -> [[Value]] {
            var rows: [[Value]] = []
            try forEachRow(values) { rows.append($0) }
            return rows
        }

        /// Hands each result row to `body` as it is read, so a large result never sits in memory.
        func forEachRow(_ values: [Value], _ body: ([Value]) throws(OutputError) -> Void) throws(OutputError) {
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)
            }
            for (index, value) in values.enumerated() { try bind(value, at: Int32(index + 1)) }
            while true {
                switch sqlite3_step(handle) {
                case SQLITE_ROW: try body((0..<sqlite3_column_count(handle)).map(column))
                case SQLITE_DONE: return
                default: throw database.failure(database.lastError)
                }
            }
        }

        private func bind(_ value: Value, at index: Int32) throws(OutputError) {
            let status =
                switch value {
                case .null: sqlite3_bind_null(handle, index)
                case .integer(let integer): sqlite3_bind_int64(handle, index, integer)
                case .text(let text): sqlite3_bind_text(handle, index, text, -1, braid_sqlite_transient())
                case .blob(let bytes):
                    bytes.withUnsafeBytes {
                        sqlite3_bind_blob64(handle, index, $0.baseAddress, UInt64($0.count), braid_sqlite_transient())
                    }
                }
            guard status == SQLITE_OK else { throw database.failure(database.lastError) }
        }

        private func column(_ index: Int32) -> Value {
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
            case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(handle, index)))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(handle, index))
                guard count > 0, let start = sqlite3_column_blob(handle, index) else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: start, count: count)))
            default: return .null
            }
        }
    }
}
