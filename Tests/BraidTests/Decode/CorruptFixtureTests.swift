import Braid
import XCTest

/// Every corrupt or truncated fixture gives a DecodeError that names the file and the kind of problem.
final class CorruptFixtureTests: XCTestCase {
    /// The manifest's error kinds, and the reasons Braid may give for each.
    private func accepts(_ kind: String, _ reason: DecodeError.Reason) -> Bool {
        switch (kind, reason) {
        case ("truncated", .truncated), ("truncated", .corrupt), ("empty", .empty), ("bad-signature", .notA),
            ("not-a-png", .notA), ("not-a-png", .unsupported),
            ("not-a-video", .notA), ("invalid-encoding", .invalidText), ("unsupported", .unsupported),
            ("unsupported", .corrupt), ("bad-crc", .corrupt), ("bad-header", .corrupt), ("bad-header", .notA),
            ("missing-idat", .corrupt), ("missing-idat", .truncated), ("bad-data", .corrupt), ("bad-data", .truncated):
            return true
        default:
            return false
        }
    }

    func test_every_corrupt_fixture_fails_with_a_named_reason() {
        let corrupt = Fixtures.manifest.filter { $0.error != nil }
        XCTAssertGreaterThan(corrupt.count, 30)
        let decoder = MediaDecoder()
        for entry in corrupt {
            let item = Item(id: entry.path, source: .file(path: Fixtures.path(entry.path)))
            XCTAssertThrowsError(try decoder.decode(item), entry.path) { error in
                guard let error = error as? DecodeError else { return XCTFail("\(entry.path): \(error)") }
                XCTAssertEqual(error.source, entry.path)
                XCTAssertTrue(accepts(entry.error!, error.reason), "\(entry.path) (\(entry.error!)): \(error)")
            }
        }
    }
}
