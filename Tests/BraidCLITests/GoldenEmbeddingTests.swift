import Foundation
import XCTest

/// The Fixtures folder's embeddings stay what they were, run after run and platform after platform, within
/// the tolerance Fixtures/golden/README.md states.
final class GoldenEmbeddingTests: XCTestCase {
    func test_fixture_embeddings_match_the_golden_file() throws {
        let arguments = [
            "embed", "--quiet", "--encoder", "text=hashed", "Fixtures/png/pngsuite", "Fixtures/wav", "Fixtures/video",
            "Fixtures/text",
        ]
        let result = try BraidProcess.run(arguments)
        let golden = try String(
            contentsOf: BraidProcess.packageRoot.appendingPathComponent("Fixtures/golden/embed-fixtures.jsonl"),
            encoding: .utf8
        )
        .split(separator: "\n").map { try jsonObject(String($0)) }
        let current = try result.stdoutLines.map(jsonObject)
        XCTAssertEqual(current.count, golden.count)
        for (now, then) in zip(current, golden) {
            let id = then["id"] as? String ?? "?"
            XCTAssertEqual(now["id"] as? String, id)
            XCTAssertEqual(now["modality"] as? String, then["modality"] as? String, id)
            XCTAssertEqual(now["encoder"] as? String, then["encoder"] as? String, id)
            let vector = try XCTUnwrap(now["embedding"] as? [Double], id)
            let expected = try XCTUnwrap(then["embedding"] as? [Double], id)
            XCTAssertEqual(vector.count, expected.count, id)
            let worst = zip(vector, expected).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(id): a component moved by \(worst)")
        }
    }
}
