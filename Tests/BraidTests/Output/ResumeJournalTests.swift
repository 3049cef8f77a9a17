import Foundation
import XCTest

@testable import Braid

final class ResumeJournalTests: XCTestCase {
    private func record(_ id: String) -> EmbeddingRecord {
        EmbeddingRecord(id: id, source: nil, modality: .text, encoder: "hashed", embedding: [1, 2])
    }

    func test_given_a_torn_last_line_then_it_is_cut_off_and_appending_continues_on_a_fresh_line() throws {
        let path = try makeTemporaryFolder(self).appendingPathComponent("out.jsonl").path
        let writer = try JSONLWriter(appendingTo: path)
        for id in ["a", "b\"quoted", "c"] { try writer.write(record(id)) }
        let completeSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        // What a kill -9 in the middle of a write could leave: the start of a line, no newline.
        let tornLine = Array(#"{"id":"d","source":null,"moda"#.utf8)
        try writer.write(line: tornLine)

        let journal = try ResumeJournal(path: path)
        XCTAssertEqual(journal.completedIDs, ["a", "b\"quoted", "c"])
        XCTAssertTrue(journal.contains("c"))
        XCTAssertFalse(journal.contains("d"))
        XCTAssertEqual(journal.truncatedBytes, tornLine.count)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, completeSize)

        try JSONLWriter(appendingTo: path).write(record("d"))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8))) }
        XCTAssertEqual(try ResumeJournal(path: path).completedIDs, ["a", "b\"quoted", "c", "d"])
    }

    func test_given_no_file_then_nothing_is_done_yet() throws {
        let path = try makeTemporaryFolder(self).appendingPathComponent("absent.jsonl").path
        let journal = try ResumeJournal(path: path)
        XCTAssertTrue(journal.completedIDs.isEmpty)
        XCTAssertEqual(journal.truncatedBytes, 0)
    }

    func test_given_a_file_that_is_not_braid_output_then_resuming_refuses_naming_the_line() throws {
        let path = try makeTemporaryFolder(self).appendingPathComponent("other.jsonl").path
        try Data("{\"id\":\"a\"}\n{\"name\":\"b\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ResumeJournal(path: path)) { error in
            XCTAssertEqual(error as? OutputError, .cannotResume(file: path, problem: "line 2 has no \"id\""))
        }
    }
}
