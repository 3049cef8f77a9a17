import Foundation
import XCTest

@testable import Braid

final class TextInputTests: XCTestCase {
    func test_given_lines_then_each_nonblank_line_is_a_text_whose_id_is_its_line_number() async throws {
        let folder = try makeTemporaryFolder(self)
        let file = folder.appendingPathComponent("lines.txt")
        try Data("first\n\n  \nsecond\r\n".utf8 + [0xFF, 0x0A] + Data("last without newline".utf8)).write(to: file)

        let elements = try await collect(ItemSource(.lines(file.path)))
        XCTAssertEqual(
            elements,
            [
                .success(Item(id: "1", source: .text("first"))),
                .success(Item(id: "4", source: .text("second"))),
                .failure(ItemFailure(id: "5", message: "\(file.path): line 5 is not valid UTF-8")),
                .success(Item(id: "6", source: .text("last without newline"))),
            ])
    }

    func test_given_records_then_text_and_path_records_become_items_and_bad_ones_become_failures() async throws {
        let folder = try makeTemporaryFolder(self)
        let file = folder.appendingPathComponent("records.jsonl")
        let lines = [
            #"{"id": "a", "text": "hello"}"#,
            #"{"id": 7, "path": "images/cat.png", "extra": true}"#,
            "",
            #"{"id": 1.5, "text": "x"}"#,
            #"{"id": "b", "text": "t", "path": "p"}"#,
            #"{"text": "no id"}"#,
            #"{"id": "c"}"#,
            #"{"id": ["list"], "text": "x"}"#,
            #"not json"#,
            #"{"id": "d", "text": "after the bad ones"}"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let place = { (line: Int) in "\(file.path) line \(line)" }

        let elements = try await collect(ItemSource(.records(file.path)))
        XCTAssertEqual(elements.count, 9)
        XCTAssertEqual(elements[0], .success(Item(id: "a", source: .text("hello"))))
        XCTAssertEqual(elements[1], .success(Item(id: "7", source: .file(path: "images/cat.png"))))
        XCTAssertEqual(elements[2], .success(Item(id: "1.5", source: .text("x"))))
        XCTAssertEqual(
            elements[3], .failure(ItemFailure(id: "b", message: "\(place(5)): record mixes \"text\", \"path\", \"video\" and parts (\"image\", \"audio\"): give one")))
        XCTAssertEqual(elements[4], .failure(ItemFailure(id: "6", message: "\(place(6)): record has no \"id\"")))
        XCTAssertEqual(
            elements[5],
            .failure(ItemFailure(id: "c", message: "\(place(7)): record has none of \"text\", \"path\", \"image\", \"audio\", \"video\"")))
        XCTAssertEqual(
            elements[6], .failure(ItemFailure(id: "8", message: "\(place(8)): \"id\" must be a string or a number")))
        guard case .failure(let notJSON) = elements[7] else { return XCTFail("line 9 is not JSON") }
        XCTAssertEqual(notJSON.id, "9")
        XCTAssertTrue(notJSON.message.hasPrefix("\(place(9)): not valid JSON"), notJSON.message)
        XCTAssertEqual(elements[8], .success(Item(id: "d", source: .text("after the bad ones"))))
    }
}
