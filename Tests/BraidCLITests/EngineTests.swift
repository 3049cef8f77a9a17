import Foundation
import XCTest

/// Braid as a worker under Apache Spark (local-cluster[2,1,1024]: two worker JVMs) and Ray Data (a local cluster
/// of 2 CPUs, two braid actors), through `integrations/braid_engines`, on 2,000 records of the fixtures: every id
/// exactly once with the vectors of a plain `braid embed`, a corrupt PNG as one error row in a job that succeeds,
/// a braid SIGKILLed in the middle of a partition retried by the engine without a duplicate, and a model that will
/// not load failing the job with Braid's message. The engines come from `scripts/engines-venv` (scripts/test runs
/// it); without it, or without Java, these tests skip and say so.
final class EngineTests: XCTestCase {
    private static let venvPython: String? = {
        let venv = ProcessInfo.processInfo.environment["BRAID_ENGINES_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/braid/engines-venv").path
        let python = venv + "/bin/python"
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }()

    private var scratch: ScratchFolder!
    private var records: URL!
    /// id → the vector of a plain `braid embed --records` run, or nil for the item that fails.
    private var expected: [String: [Float]?] = [:]
    private let poisoned = "r1234"
    private let encoders = "text=hashed"

    override func setUpWithError() throws {
        guard Self.venvPython != nil else {
            throw XCTSkip("Spark and Ray are not installed: run scripts/engines-venv (scripts/test does)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/java") else {
            throw XCTSkip("no Java runtime for Spark: run scripts/engines-venv as root (scripts/test does)")
        }
        scratch = try ScratchFolder()
        records = scratch.url.appendingPathComponent("records.jsonl")
        let root = BraidProcess.packageRoot
        let files = try ["Fixtures/png/pngsuite", "Fixtures/wav"].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path).sorted()
                .filter { $0.hasSuffix(".png") || $0.hasSuffix(".wav") }.map { root.appendingPathComponent("\(folder)/\($0)").path }
        }
        var lines: [String] = []
        for index in 0..<2000 {
            let id = String(format: "r%04d", index)
            let record: [String: String]
            if id == poisoned {
                record = ["id": id, "path": root.appendingPathComponent("Fixtures/png/corrupt/bad-colour-type.png").path]
            } else if index % 3 == 0 {
                record = ["id": id, "text": "record \(index): a sentence of its own, Grüße \(index * 7)"]
            } else {
                record = ["id": id, "path": files[index % files.count]]
            }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: record, options: .sortedKeys), as: UTF8.self))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: records)
        let plain = try BraidProcess.run(
            ["embed", "--quiet", "--errors", "inline", "--encoder", encoders, "--records", records.path])
        XCTAssertEqual(plain.status, 0, plain.stderrText)
        for line in plain.stdoutLines {
            let object = try jsonObject(line)
            let id = try XCTUnwrap(object["id"] as? String)
            expected.updateValue((object["embedding"] as? [Double]).map { $0.map(Float.init) }, forKey: id)
        }
        XCTAssertEqual(expected.count, 2000)
    }

    private func job(_ engine: String, _ arguments: [String] = []) throws -> (
        status: Int32, summary: [String: Any], rows: [[String: Any]], stderr: String
    ) {
        let dump = scratch.url.appendingPathComponent("\(engine).rows.jsonl")
        let run = try BraidProcess.run(
            [
                BraidProcess.packageRoot.appendingPathComponent("integrations/tests/engine_job.py").path, engine,
                "--braid", BraidProcess.executable.path, "--records", records.path, "--encoder", encoders,
                "--output", scratch.url.appendingPathComponent("\(engine).parquet").path, "--dump", dump.path,
            ] + arguments, executable: URL(fileURLWithPath: try XCTUnwrap(Self.venvPython)))
        guard run.status == 0 else { return (run.status, [:], [], run.stderrText) }
        let summary = try jsonObject(try XCTUnwrap(run.stdoutLines.last))
        let rows = try String(contentsOf: dump, encoding: .utf8).split(separator: "\n").map { try jsonObject(String($0)) }
        return (run.status, summary, rows, run.stderrText)
    }

    private func assertEveryIDOnceWithPlainVectors(_ rows: [[String: Any]], line: UInt = #line) throws {
        XCTAssertEqual(rows.count, 2000, line: line)
        XCTAssertEqual(Set(rows.compactMap { $0["id"] as? String }).count, 2000, "duplicates", line: line)
        for row in rows {
            let id = try XCTUnwrap(row["id"] as? String)
            let wanted = try XCTUnwrap(expected[id], "unknown id \(id)", line: line)
            if let wanted {
                let got = try XCTUnwrap(row["embedding"] as? [Double], id, line: line).map(Float.init)
                XCTAssertEqual(got, wanted, id, line: line)
            } else {
                XCTAssertEqual(id, poisoned, line: line)
                XCTAssertTrue((row["error"] as? String)?.contains("Invalid color type") == true, "\(row)", line: line)
            }
        }
    }

    private func assertEngine(_ engine: String) throws {
        let run = try job(engine)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.summary["errors"] as? Int, 1)
        try assertEveryIDOnceWithPlainVectors(run.rows)

        let marker = scratch.url.appendingPathComponent("\(engine).killed")
        let killed = try job(engine, ["--kill-once", "\(marker.path):150"])
        XCTAssertEqual(killed.status, 0, killed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path), "the kill hook never fired")
        try assertEveryIDOnceWithPlainVectors(killed.rows)

        let broken = try job(engine, ["--encoder", "image=/nonexistent/clip-model"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderr.contains("/nonexistent/clip-model"), broken.stderr)
    }

    func test_spark_embeds_every_record_once_survives_a_killed_braid_and_reports_a_broken_model() throws {
        try assertEngine("spark")
    }

    func test_ray_embeds_every_record_once_survives_a_killed_braid_and_reports_a_broken_model() throws {
        try assertEngine("ray")
    }
}
