import Foundation
import XCTest

/// Back-pressure, broken pipes, interrupts and crash-resume, through the real binary.
final class StreamingBehaviourTests: XCTestCase {
    /// With nobody reading stdout, `braid` must stop reading stdin after a bounded number of items: the writer
    /// blocks, the buffers fill, and every stage's producer suspends.
    func test_a_stalled_reader_stops_the_intake_after_a_bounded_number_of_items() throws {
        let braid = BraidProcess(["embed", "--quiet", "--encoder", "text=hashed", "--lines", "-"])
        try braid.process.run()
        defer { braid.process.terminate() }
        let total = 20_000
        let line = Data((String(repeating: "lorem ipsum dolor sit amet ", count: 40) + "\n").utf8)  // about 1 KB
        let written = Counter()
        let writer = Thread {
            let handle = braid.stdin.fileHandleForWriting
            for _ in 0..<total {
                guard (try? handle.write(contentsOf: line)) != nil else { return }
                written.add()
            }
        }
        writer.start()
        Thread.sleep(forTimeInterval: 3)
        let stalledAt = written.value
        Thread.sleep(forTimeInterval: 1)
        // The 64 KiB stdin pipe holds ~64 lines; in flight are at most decode jobs + buffer, batch × (jobs +
        // buffer) and what fills the stdout pipe: a few hundred, never the whole input.
        XCTAssertLessThan(stalledAt, 1_000, "items read while stdout was not: back-pressure failed")
        XCTAssertEqual(written.value, stalledAt, "the intake must stay stopped")
        let lines = readLines(braid.stdout.fileHandleForReading, count: 10)
        XCTAssertEqual(lines.count, 10, "reading stdout lets it go on")
    }

    func test_a_reader_that_goes_away_ends_the_run_cleanly() throws {
        let scratch = try ScratchFolder()
        _ = try scratch.writeTexts(300)
        let braid = BraidProcess(["embed", "--quiet", "--encoder", "text=hashed", scratch.path("texts")])
        try braid.process.run()
        let first = readLines(braid.stdout.fileHandleForReading, count: 1)
        XCTAssertEqual(first.count, 1)
        try braid.stdout.fileHandleForReading.close()  // as `| head -1` does
        braid.process.waitUntilExit()
        let stderr = String(decoding: braid.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(braid.process.terminationStatus, 0, stderr)
        XCTAssertEqual(stderr, "", "a closed pipe is not an error")
    }

    func test_sigint_and_sigterm_stop_with_whole_lines_and_exit_code_128_plus_the_signal() throws {
        for signal in [SIGINT, SIGTERM] {
            let scratch = try ScratchFolder()
            _ = try scratch.writeTexts(2_000)
            let output = scratch.path("out.jsonl")
            let braid = BraidProcess([
                "embed", "--quiet", "--jobs", "1", "--encoder", "text=hashed", "--resume", output,
                scratch.path("texts"),
            ])
            try braid.process.run()
            try waitForLines(in: output, atLeast: 50)
            kill(braid.process.processIdentifier, signal)
            braid.process.waitUntilExit()
            XCTAssertEqual(braid.process.terminationStatus, 128 + signal)
            let text = try String(contentsOfFile: output, encoding: .utf8)
            XCTAssertTrue(text.hasSuffix("\n"))
            let ids = try text.split(separator: "\n").map { try jsonObject(String($0))["id"] as? String }
            XCTAssertLessThan(ids.count, 2_000, "the signal came before the end")
            XCTAssertEqual(Set(ids).count, ids.count)
        }
    }

    /// The crash-safety promise of `--resume`: killed with SIGKILL at random points and resumed each time, the
    /// file ends with every input exactly once and no torn line.
    func test_resume_after_repeated_sigkill_gives_every_item_exactly_once() throws {
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(1_500)
        let output = scratch.path("out.jsonl")
        try BraidProcess.killRepeatedly(
            [
                "embed", "--quiet", "--jobs", "2", "--batch-size", "4", "--encoder", "text=hashed", "--resume", output,
                scratch.path("texts"),
            ], rounds: 20)
        let final = try BraidProcess.run([
            "embed", "--quiet", "--encoder", "text=hashed", "--resume", output, scratch.path("texts"),
        ])
        XCTAssertEqual(final.status, 0, final.stderrText)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        let ids = try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try XCTUnwrap(jsonObject(String($0))["id"] as? String)
        }
        XCTAssertEqual(ids.sorted(), names, "every input exactly once")
    }

    /// What an engine's worker does: send a few records, wait for their lines, send more. A batch of 32 never fills,
    /// so without closing partial batches while stdin stalls both sides would wait for ever.
    func test_records_fed_a_few_at_a_time_are_answered_before_more_arrive() throws {
        let braid = BraidProcess(["embed", "--quiet", "--records", "-", "--errors", "inline", "--encoder", "text=hashed"])
        try braid.process.run()
        let input = braid.stdin.fileHandleForWriting
        for round in 0..<3 {
            let ids = (0..<5).map { "\(round)-\($0)" }
            for id in ids { input.write(Data("{\"id\":\"\(id)\",\"text\":\"text \(id)\"}\n".utf8)) }
            let started = Date()
            let lines = readLines(braid.stdout.fileHandleForReading, count: 5)
            XCTAssertEqual(try lines.map { try jsonObject($0)["id"] as? String }, ids)
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "a partial batch waited for records")
        }
        try input.close()
        braid.process.waitUntilExit()
        XCTAssertEqual(braid.process.terminationStatus, 0)
    }

    /// `--errors inline`: an item that fails is a line among the others, in order, and the run exits 0.
    func test_inline_errors_are_lines_in_order_and_the_exit_code_stays_0() throws {
        let run = try BraidProcess.run([
            "embed", "--quiet", "--errors", "inline", "Fixtures/png/pngsuite/basn0g01.png",
            "Fixtures/png/corrupt/bad-colour-type.png", "Fixtures/png/pngsuite/basn2c08.png",
        ])
        XCTAssertEqual(run.status, 0, run.stderrText)
        let lines = try run.stdoutLines.map(jsonObject)
        XCTAssertEqual(
            lines.map { $0["id"] as? String },
            ["Fixtures/png/pngsuite/basn0g01.png", "Fixtures/png/corrupt/bad-colour-type.png", "Fixtures/png/pngsuite/basn2c08.png"])
        XCTAssertNotNil(lines[1]["error"] as? String)
        XCTAssertNil(lines[1]["embedding"])
        XCTAssertNotNil(lines[2]["embedding"])
        XCTAssertTrue(run.stderrText.contains("1 of 3 items failed"), run.stderrText)
        // Without the flag the same run reports the failure by its exit code.
        XCTAssertEqual(
            try BraidProcess.run(["embed", "--quiet", "Fixtures/png/corrupt/bad-colour-type.png"]).status, 1)
    }

    private func readLines(_ handle: FileHandle, count: Int) -> [String] {
        var buffer = Data()
        while buffer.filter({ $0 == UInt8(ascii: "\n") }).count < count {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer += chunk
        }
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").prefix(count).map(String.init)
    }

    private func waitForLines(in path: String, atLeast count: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: path),
                data.filter({ $0 == UInt8(ascii: "\n") }).count >= count
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTFail("\(path) never reached \(count) lines")
    }
}

/// A count shared between a writer thread and the test.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
