import Foundation
import XCTest

@testable import Braid

/// `braid embed --db`: the vectors of the JSON lines, in llm's collection layout, kept across runs by content
/// hash, safe under `kill -9`, and refused databases left untouched.
final class DatabaseCommandTests: XCTestCase {
    private let fixtures = ["Fixtures/png/pngsuite", "Fixtures/wav", "Fixtures/text"]

    /// The rows of the database: (collection, id) to (vector, content hash, metadata).
    private func rows(_ path: String) throws -> [String: (vector: [Float], hash: [UInt8], metadata: [String: Any])] {
        let database = try SQLiteDatabase(path: path)
        var rows: [String: (vector: [Float], hash: [UInt8], metadata: [String: Any])] = [:]
        for row in try database.rows(
            "select c.name, e.id, e.embedding, e.content_hash, e.metadata from embeddings e join collections c on c.id = e.collection_id"
        ) {
            guard case .text(let collection) = row[0], case .text(let id) = row[1], case .blob(let blob) = row[2],
                case .blob(let hash) = row[3], case .text(let metadata) = row[4]
            else { throw XCTSkip("unexpected row \(row)") }
            let vector = blob.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            rows["\(collection)/\(id)"] = (vector, hash, try jsonObject(metadata))
        }
        return rows
    }

    func test_the_database_holds_the_vectors_of_the_json_lines_in_llms_layout() throws {
        let scratch = try ScratchFolder()
        let database = scratch.path("fixtures.db")
        let lines = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed"] + fixtures)
        let stored = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--db", database] + fixtures)
        XCTAssertEqual(stored.status, lines.status, "the same items fail")
        XCTAssertTrue(stored.stdout.isEmpty, "the vectors go to the database, not to stdout")
        let rows = try rows(database)
        let records = try lines.stdoutLines.map(jsonObject)
        XCTAssertEqual(rows.count, records.count)
        for record in records {
            let id = try XCTUnwrap(record["id"] as? String)
            let row = try XCTUnwrap(rows["\(try XCTUnwrap(record["encoder"] as? String))/\(id)"], id)
            XCTAssertEqual(row.vector, try XCTUnwrap(record["embedding"] as? [Double]).map(Float.init), id)
            XCTAssertEqual(row.metadata["modality"] as? String, record["modality"] as? String, id)
            XCTAssertEqual(row.metadata["source"] as? String, record["source"] as? String, id)
            XCTAssertEqual(row.hash.count, 16, "\(id): an MD5")
        }
        let text = try XCTUnwrap(rows["hashed/utf8.txt"])
        // llm's content_hash of a file: the MD5 of its bytes (`md5sum Fixtures/text/utf8.txt`).
        let md5sum = Process()
        let digest = Pipe()
        md5sum.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        md5sum.arguments = [BraidProcess.packageRoot.appendingPathComponent("Fixtures/text/utf8.txt").path]
        md5sum.standardOutput = digest
        try md5sum.run()
        md5sum.waitUntilExit()
        let expected = String(decoding: digest.fileHandleForReading.readDataToEndOfFile().prefix(32), as: UTF8.self)
        XCTAssertEqual(text.hash.map { String(format: "%02x", $0) }.joined(), expected)
        let schema = try SQLiteDatabase(path: database).rows(
            "select name from _sqlite_migrations where migration_set = 'llm.embeddings' order by id")
        XCTAssertEqual(schema.count, 5, "llm's migrations are recorded as applied")
        let models = try SQLiteDatabase(path: database).rows("select name, model from collections order by name")
        XCTAssertEqual(models, [[.text("features"), .text("braid-features")], [.text("hashed"), .text("braid-hashed")],
                                [.text("logmel"), .text("braid-logmel")]])
    }

    func test_a_rerun_skips_unchanged_items_updates_changed_ones_and_prunes_missing_files() throws {
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(40)
        let database = scratch.path("texts.db")
        let arguments = ["embed", "--quiet", "--stats", "--encoder", "text=hashed", "--db", database, scratch.path("texts")]
        let first = try BraidProcess.run(arguments)
        XCTAssertEqual(first.status, 0, first.stderrText)
        XCTAssertTrue(first.stderrText.contains("store: 40 added, 0 updated, 0 skipped"), first.stderrText)
        let before = try rows(database)

        try Data("changed".utf8).write(to: scratch.url.appendingPathComponent("texts/\(names[3])"))
        try FileManager.default.removeItem(atPath: scratch.path("texts/\(names[5])"))
        let second = try BraidProcess.run(arguments + ["--prune"])
        XCTAssertEqual(second.status, 0, second.stderrText)
        XCTAssertTrue(second.stderrText.contains("store: 0 added, 1 updated, 38 skipped as stored, 1 pruned"),
                      second.stderrText)
        let after = try rows(database)
        XCTAssertEqual(after.count, 39)
        XCTAssertNil(after["hashed/\(names[5])"], "the deleted file's row is pruned")
        XCTAssertNotEqual(after["hashed/\(names[3])"]?.vector, before["hashed/\(names[3])"]?.vector)
        XCTAssertEqual(after["hashed/\(names[4])"]?.vector, before["hashed/\(names[4])"]?.vector)
    }

    /// Killed with SIGKILL at random points and run again each time, the database ends with every item once and
    /// the vectors a single clean run gives.
    func test_repeated_sigkill_and_reruns_leave_every_item_exactly_once() throws {
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(1_500)
        let database = scratch.path("texts.db")
        let arguments = [
            "embed", "--quiet", "--jobs", "2", "--batch-size", "4", "--encoder", "text=hashed", "--db", database,
            scratch.path("texts"),
        ]
        try BraidProcess.killRepeatedly(arguments, rounds: 10)
        let final = try BraidProcess.run(arguments)
        XCTAssertEqual(final.status, 0, final.stderrText)
        let rows = try rows(database)
        XCTAssertEqual(rows.keys.sorted(), names.map { "hashed/\($0)" }, "every input exactly once")
        let clean = scratch.path("clean.db")
        XCTAssertEqual(try BraidProcess.run(Array(arguments.dropLast(2)) + [clean, scratch.path("texts")]).status, 0)
        XCTAssertEqual(try self.rows(clean).mapValues(\.vector), rows.mapValues(\.vector))
    }

    func test_a_database_braid_cannot_use_is_refused_before_any_item_and_left_as_it_was() throws {
        let scratch = try ScratchFolder()
        let notSQLite = scratch.path("notes.db")
        try Data("these are notes, not a database\n".utf8).write(to: URL(fileURLWithPath: notSQLite))
        let otherSchema = scratch.path("other.db")
        try SQLiteDatabase(path: otherSchema).execute("create table embeddings (id text, vector blob)")
        // As llm leaves a database: its tables, in the default rollback-journal mode, a collection of another model.
        let otherModel = scratch.path("llm.db")
        XCTAssertEqual(
            try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--db", otherModel, "Fixtures/text"])
                .status, 1, "one file of Fixtures/text fails to decode; the others are stored")
        try SQLiteDatabase(path: otherModel).execute(
            "pragma journal_mode = delete; update collections set model = 'sentence-transformers/all-MiniLM-L6-v2'")

        for (database, problem) in [
            (notSQLite, "not a SQLite database"), (otherSchema, "its table 'embeddings' is not llm's"),
            (otherModel, "collection 'hashed' holds sentence-transformers/all-MiniLM-L6-v2's vectors"),
        ] {
            let before = try Data(contentsOf: URL(fileURLWithPath: database))
            let result = try BraidProcess.run(["embed", "--encoder", "text=hashed", "--db", database, "Fixtures/text"])
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderrText.contains("\(database): cannot write: \(problem)"), result.stderrText)
            XCTAssertFalse(result.stderrText.contains("\"id\""), "refused before any item: \(result.stderrText)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: database)), before, "\(database) is untouched")
        }
    }

    /// llm 0.36 itself (`scripts/llm-venv`) reads the database: its Python API and its `similar` command rank the
    /// neighbours of an item as cosine over Braid's vectors ranks them.
    func test_llm_reads_the_database_with_its_api_and_command_line() throws {
        let venv = ProcessInfo.processInfo.environment["BRAID_LLM_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/braid/llm-venv").path
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("llm is not installed at \(venv): run scripts/llm-venv (scripts/test does)")
        }
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(30)
        let database = scratch.path("texts.db")
        let run = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=hashed", "--db", database, "--collection", "notes", scratch.path("texts")])
        XCTAssertEqual(run.status, 0, run.stderrText)

        let stored = try rows(database)
        let query = try XCTUnwrap(stored["notes/\(names[7])"]).vector
        // As llm computes it: in double precision, summed left to right.
        func cosine(_ a: [Float], _ b: [Float]) -> Double {
            let (x, y) = (a.map(Double.init), b.map(Double.init))
            return zip(x, y).map(*).reduce(0, +) / (x.map { $0 * $0 }.reduce(0, +).squareRoot() * y.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        let expected = stored.filter { $0.key != "notes/\(names[7])" }
            .map { (id: String($0.key.dropFirst("notes/".count)), score: cosine(query, $0.value.vector)) }
            .sorted { $0.score > $1.score }.prefix(5).map(\.id)

        let script = """
            import json, sys, llm, sqlite_utils
            collection = llm.Collection("notes", sqlite_utils.Database(sys.argv[1]), create=False)
            print(json.dumps({"count": collection.count(), "model": collection.model_id,
                              "similar": [entry.id for entry in collection.similar_by_id(sys.argv[2], number=5)]}))
            """
        let api = try jsonObject(try output(python, ["-c", script, database, names[7]]))
        XCTAssertEqual(api["count"] as? Int, 30)
        XCTAssertEqual(api["model"] as? String, "braid-hashed")
        XCTAssertEqual(api["similar"] as? [String], Array(expected), "llm's ranking of Braid's vectors")
        let cli = try output(venv + "/bin/llm", ["similar", "notes", names[7], "-n", "5", "-d", database])
        let ids = try cli.split(separator: "\n").map { try jsonObject(String($0))["id"] as? String }
        XCTAssertEqual(ids, Array(expected), "llm similar on the command line")
        let list = try output(venv + "/bin/llm", ["collections", "list", "-d", database])
        XCTAssertTrue(list.contains("notes: braid-hashed"), list)
    }

    private func output(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(program) \(arguments)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
