import Foundation
import XCTest

/// `braid embed --npy`: the vectors of the JSON lines as NumPy shards with their metadata, whole shards only
/// after `kill -9`, and a folder of another dimension refused before any item.
final class NumPyShardsCommandTests: XCTestCase {
    /// Every row of an encoder's shards, in order: (id, vector), read from the `.npy` header and data as NumPy
    /// would.
    private func rows(_ folder: String) throws -> [(id: String, vector: [Float])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        var rows: [(id: String, vector: [Float])] = []
        for array in names where array.hasPrefix("embeddings-") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + array))
            XCTAssertEqual(Array(bytes.prefix(6)), [0x93] + Array("NUMPY".utf8), array)
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            let header = String(decoding: bytes[10..<10 + headerLength], as: UTF8.self)
            XCTAssertTrue(header.contains("'descr': '<f4'"), header)
            let shape = try XCTUnwrap(header.split(separator: "(").last?.split(separator: ")").first)
                .split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
            let floats = bytes.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            XCTAssertEqual(floats.count, shape[0] * shape[1], array)
            let metadata = array.replacingOccurrences(of: "embeddings-", with: "metadata-")
                .replacingOccurrences(of: ".npy", with: ".jsonl")
            let ids = try String(contentsOfFile: folder + "/" + metadata, encoding: .utf8).split(separator: "\n").map {
                try XCTUnwrap(jsonObject(String($0))["id"] as? String)
            }
            XCTAssertEqual(ids.count, shape[0], "\(metadata): a line per row")
            for (row, id) in ids.enumerated() { rows.append((id, Array(floats[row * shape[1]..<(row + 1) * shape[1]]))) }
        }
        return rows
    }

    func test_shards_hold_the_vectors_of_the_json_lines_in_order() throws {
        let scratch = try ScratchFolder()
        let inputs = ["Fixtures/png/pngsuite", "Fixtures/wav", "Fixtures/text"]
        let lines = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed"] + inputs)
        let folder = scratch.path("vectors")
        let stored = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=hashed", "--npy", folder, "--shard-size", "10"] + inputs)
        XCTAssertEqual(stored.status, lines.status)
        XCTAssertTrue(stored.stdout.isEmpty)
        let records = try lines.stdoutLines.map(jsonObject)
        for encoder in ["features", "hashed", "logmel"] {
            let expected = try records.filter { $0["encoder"] as? String == encoder }.map {
                (try XCTUnwrap($0["id"] as? String), try XCTUnwrap($0["embedding"] as? [Double]).map(Float.init))
            }
            let rows = try rows(folder + "/" + encoder)
            XCTAssertEqual(rows.map(\.id), expected.map(\.0), "\(encoder): the rows in input order")
            XCTAssertEqual(rows.map(\.vector), expected.map(\.1), encoder)
        }
        let shards = try FileManager.default.contentsOfDirectory(atPath: folder + "/features").filter { $0.hasSuffix(".npy") }
        XCTAssertEqual(shards.count, 3, "28 images in shards of 10")
    }

    func test_repeated_sigkill_and_reruns_leave_every_item_exactly_once_in_whole_shards() throws {
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(1_500)
        let folder = scratch.path("vectors")
        let arguments = [
            "embed", "--quiet", "--jobs", "2", "--batch-size", "4", "--encoder", "text=hashed", "--npy", folder,
            "--shard-size", "100", scratch.path("texts"),
        ]
        try BraidProcess.killRepeatedly(arguments, rounds: 10)
        let final = try BraidProcess.run(arguments)
        XCTAssertEqual(final.status, 0, final.stderrText)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/hashed")
        XCTAssertFalse(files.contains { $0.hasSuffix(".partial") }, "no partial shard is left: \(files)")
        XCTAssertEqual(try rows(folder + "/hashed").map(\.id).sorted(), names, "every input exactly once")
    }

    func test_a_folder_of_another_dimension_is_refused_before_any_item() throws {
        let scratch = try ScratchFolder()
        _ = try scratch.writeTexts(5)
        let folder = scratch.path("vectors")
        XCTAssertEqual(
            try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", "--npy", folder, scratch.path("texts")])
                .status, 0)
        // The `features` image encoder makes 273 values; pretend its folder was written by a 512-value one.
        try FileManager.default.copyItem(atPath: folder + "/hashed", toPath: folder + "/features")
        let before = try FileManager.default.contentsOfDirectory(atPath: folder + "/features").sorted()
        let result = try BraidProcess.run(["embed", "--encoder", "text=hashed", "--npy", folder, "Fixtures/png/pngsuite"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(
            result.stderrText.contains("holds vectors of 512 values, the encoder makes 273"), result.stderrText)
        XCTAssertFalse(result.stderrText.contains("\"id\""), "refused before any item")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/features").sorted(), before)
    }
}
