import Foundation
import XCTest

@testable import Braid

/// How training and evaluation items get their labels, and which are held out for validation.
final class LabelledDataTests: XCTestCase {
    private func labelled(_ data: LabelledData) async throws -> [String: Result<String, ItemFailure>] {
        var results: [String: Result<String, ItemFailure>] = [:]
        for try await record in try data.items() {
            switch record {
            case .success(let item): results[item.id] = .success(item.label ?? "")
            case .failure(let failure): results[failure.id] = .failure(failure)
            }
        }
        return results
    }

    func testFolderPerClassAndAStrayFile() async throws {
        let folder = try makeTemporaryFolder(self)
        for path in ["cat/1.png", "cat/2.png", "dog/3.png", "stray.png"] { try writeFile(path, in: folder) }
        var data = LabelledData()
        data.paths = [folder.path]
        let results = try await labelled(data)
        XCTAssertEqual(try results["cat/1.png"]?.get(), "cat")
        XCTAssertEqual(try results["dog/3.png"]?.get(), "dog")
        guard case .failure(let failure)? = results["stray.png"] else {
            return XCTFail("a file outside class folders got a label")
        }
        XCTAssertTrue(failure.message.contains("no label"), failure.message)
    }

    func testPatternMatchAndGroup() async throws {
        let folder = try makeTemporaryFolder(self)
        for name in ["3_george_1.wav", "3_george_7.wav", "8_jackson_12.wav", "notes.txt"] {
            try writeFile(name, in: folder)
        }
        var data = LabelledData()
        data.paths = [folder.path]
        data.labelPattern = #"^(\d)_"#
        data.match = #"_([5-9]|[1-4]\d)\.wav$"#
        data.groupPattern = #"^\d_([a-z]+)_"#
        let results = try await labelled(data)
        XCTAssertEqual(
            Set(results.keys), ["3_george_7.wav", "8_jackson_12.wav"], "--match keeps the training takes only")
        XCTAssertEqual(try results["8_jackson_12.wav"]?.get(), "8")
        XCTAssertEqual(try data.group(of: "8_jackson_12.wav"), "jackson")
    }

    func testRecordLabelsAndPathsAsIds() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile(
            "records.jsonl", in: folder,
            contents: #"{"path": "a.png", "label": 7}"# + "\n" + #"{"id": "b", "path": "b.png", "label": "seven"}"#
                + "\n"
                + #"{"path": "c.png"}"#)
        var data = LabelledData()
        data.records = folder.appendingPathComponent("records.jsonl").path
        data.labelPattern = "^(c)"
        let results = try await labelled(data)
        XCTAssertEqual(try results["a.png"]?.get(), "7", "a numeric label is read as its text")
        XCTAssertEqual(try results["b"]?.get(), "seven")
        XCTAssertEqual(try results["c.png"]?.get(), "c", "without a label, the pattern applies to the path's name")
    }

    func testOneInputFormAndValidPatterns() {
        var data = LabelledData()
        XCTAssertThrowsError(try data.origin(), "no input")
        data.paths = ["a"]
        data.records = "r.jsonl"
        XCTAssertThrowsError(try data.origin(), "two inputs")
        data.records = nil
        data.labelPattern = "(unclosed"
        XCTAssertThrowsError(try data.items()) { error in
            XCTAssertEqual((error as? InputError)?.file, "--label-pattern")
        }
    }

    func testValidationSplitIsSeededAndHoldsOutItsFraction() {
        let ids = (0..<20_000).map { "file-\($0).png" }
        let split = ValidationSplit(fraction: 0.1, seed: 1)
        let heldOut = Set(ids.filter(split.holdsOut))
        XCTAssertEqual(Double(heldOut.count), 2_000, accuracy: 150)
        XCTAssertEqual(
            heldOut, Set(ids.filter(ValidationSplit(fraction: 0.1, seed: 1).holdsOut)), "same seed, same split")
        let other = Set(ids.filter(ValidationSplit(fraction: 0.1, seed: 2).holdsOut))
        XCTAssertLessThan(heldOut.intersection(other).count, 400, "another seed holds out another tenth")
        XCTAssertTrue(ids.allSatisfy { !ValidationSplit(fraction: 0, seed: 1).holdsOut($0) })
    }
}
