import Foundation
import XCTest

/// `braid search`: over a database, NumPy shards and JSON lines (vectors as numbers or base64), the same matches
/// as cosine over the JSON lines' vectors computed here, for a text and for an image as the query.
final class SearchCommandTests: XCTestCase {
    private let inputs = ["Fixtures/png/pngsuite", "Fixtures/text"]

    /// The ids a brute-force cosine (in double precision) over the JSON lines ranks first for `query`.
    private func expectedIDs(_ records: [[String: Any]], encoder: String, query: [Double], top: Int) throws -> [String] {
        func cosine(_ a: [Double], _ b: [Double]) -> Double {
            let dot = zip(a, b).map(*).reduce(0, +)
            let norms = a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot()
            return norms > 0 ? dot / norms : 0
        }
        return try records.filter { $0["encoder"] as? String == encoder }.map {
            (id: try XCTUnwrap($0["id"] as? String), score: cosine(query, try XCTUnwrap($0["embedding"] as? [Double])))
        }.sorted { $0.score > $1.score }.prefix(top).map(\.id)
    }

    func test_every_layout_returns_the_matches_of_brute_force_cosine() throws {
        let scratch = try ScratchFolder()
        let lines = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed"] + inputs)
        let records = try lines.stdoutLines.map(jsonObject)
        try lines.stdout.write(to: scratch.url.appendingPathComponent("index.jsonl"))
        try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--embedding-format", "base64"] + inputs)
            .stdout.write(to: scratch.url.appendingPathComponent("index-base64.jsonl"))
        XCTAssertEqual(
            try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--db", scratch.path("index.db")] + inputs).status, 1)
        XCTAssertEqual(
            try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--npy", scratch.path("index")] + inputs).status, 1)

        // An image as the query: its own vector, from the JSON lines.
        let image = "Fixtures/png/pngsuite/basn2c08.png"
        let imageVector = try XCTUnwrap(records.first { $0["id"] as? String == "basn2c08.png" }?["embedding"] as? [Double])
        let expectedImages = try expectedIDs(records, encoder: "features", query: imageVector, top: 4)
        // A text as the query: embedded by `braid embed` to know its vector.
        let text = "Grüße aus dem Testordner"
        let textLine = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--lines", "-"], input: Data(text.utf8))
        let textVector = try XCTUnwrap(try jsonObject(try XCTUnwrap(textLine.stdoutLines.first))["embedding"] as? [Double])
        let expectedTexts = try expectedIDs(records, encoder: "hashed", query: textVector, top: 2)

        for index in ["index.db", "index", "index.jsonl", "index-base64.jsonl"].map(scratch.path) {
            let images = try BraidProcess.run(["search", index, image, "--top", "4", "--collection", "features"])
            XCTAssertEqual(images.status, 0, images.stderrText)
            let matches = try images.stdoutLines.map(jsonObject)
            XCTAssertEqual(matches.compactMap { $0["id"] as? String }, expectedImages, index)
            XCTAssertEqual(matches.first?["query"] as? String, image)
            XCTAssertEqual((matches.first?["meta"] as? [String: Any])?["width"] as? Int, 32, "\(index): meta carried")
            XCTAssertTrue((matches.first?["source"] as? String)?.hasSuffix(".png") == true, index)
            let scores = matches.compactMap { $0["score"] as? Double }
            XCTAssertEqual(scores, scores.sorted(by: >), "best first")

            let texts = try BraidProcess.run(["search", index, text, "--top", "2", "--collection", "hashed"])
            XCTAssertEqual(try texts.stdoutLines.map { try jsonObject($0)["id"] as? String }, expectedTexts, index)
        }
    }

    func test_many_queries_in_one_pass_and_a_query_of_the_wrong_modality() throws {
        let scratch = try ScratchFolder()
        _ = try scratch.writeTexts(50)
        let database = scratch.path("notes.db")
        XCTAssertEqual(
            try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--db", database, scratch.path("texts")]).status, 0)
        let queries = "note 3: the 3 quick foxes\nlazy dogs\n"
        let result = try BraidProcess.run(["search", database, "--queries", "-", "--top", "3"], input: Data(queries.utf8))
        XCTAssertEqual(result.status, 0, result.stderrText)
        let matches = try result.stdoutLines.map(jsonObject)
        XCTAssertEqual(matches.map { $0["query"] as? String }, Array(repeating: "note 3: the 3 quick foxes", count: 3)
            + Array(repeating: "lazy dogs", count: 3))
        XCTAssertEqual(matches.first?["id"] as? String, "t00003.txt")

        let wrong = try BraidProcess.run(["search", database, "Fixtures/png/pngsuite/basn2c08.png"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderrText.contains("holds hashed vectors of text"), wrong.stderrText)
        XCTAssertTrue(wrong.stdout.isEmpty)
    }
}
