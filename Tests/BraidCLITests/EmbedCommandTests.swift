import Foundation
import XCTest

/// `braid embed` through the real binary: output format, stability, order, errors and exit codes.
final class EmbedCommandTests: XCTestCase {
    func test_fixture_folder_embeds_stably_with_errors_on_stderr_and_a_failing_exit_code() throws {
        let first = try BraidProcess.run([
            "embed", "--quiet", "--encoder", "text=hashed", "Fixtures/png/pngsuite", "Fixtures/wav", "Fixtures/text",
        ])
        let second = try BraidProcess.run([
            "embed", "--quiet", "--jobs", "1", "--encoder", "text=hashed", "Fixtures/png/pngsuite", "Fixtures/wav",
            "Fixtures/text",
        ])
        XCTAssertEqual(first.status, 1, "corrupt fixtures are in the folders: \(first.stderrText)")
        XCTAssertEqual(first.stdout, second.stdout, "the same input gives the same bytes, whatever --jobs")
        let records = try first.stdoutLines.map(jsonObject)
        XCTAssertGreaterThan(records.count, 40)
        for record in records {
            let embedding = try XCTUnwrap(record["embedding"] as? [Double])
            XCTAssertEqual(record["dim"] as? Int, embedding.count)
            XCTAssertEqual(sqrt(embedding.map { $0 * $0 }.reduce(0, +)), 1, accuracy: 1e-4, "\(record["id"] ?? "")")
            XCTAssertNotNil(record["meta"] as? [String: Any])
        }
        let errors = try first.stderr.split(separator: UInt8(ascii: "\n")).compactMap { line -> [String: Any]? in
            let text = String(decoding: line, as: UTF8.self)
            return text.hasPrefix("{") ? try jsonObject(text) : nil
        }
        let failedIDs = Set(errors.compactMap { $0["id"] as? String })
        XCTAssertTrue(failedIDs.contains("corrupt/truncated-data.wav"), "\(failedIDs)")
        XCTAssertTrue(failedIDs.contains("corrupt/invalid-utf8.txt"), "\(failedIDs)")
        XCTAssertTrue(Set(records.compactMap { $0["id"] as? String }).isDisjoint(with: failedIDs))
    }

    func test_base64_vectors_hold_the_same_floats_as_the_numbers_and_the_rest_of_the_line_is_unchanged() throws {
        let inputs = ["Fixtures/png/pngsuite", "Fixtures/wav", "Fixtures/text"]
        let numbers = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed"] + inputs)
        let base64 = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=hashed", "--embedding-format", "base64"] + inputs)
        XCTAssertEqual(base64.status, numbers.status, base64.stderrText)
        XCTAssertEqual(base64.stderr, numbers.stderr, "the same items fail")
        let (decimal, encoded) = (try numbers.stdoutLines.map(jsonObject), try base64.stdoutLines.map(jsonObject))
        XCTAssertEqual(encoded.count, decimal.count)
        XCTAssertGreaterThan(encoded.count, 40)
        for (expected, line) in zip(decimal, encoded) {
            let id = line["id"] as? String ?? ""
            XCTAssertEqual(try base64Floats(line["embedding"]), try XCTUnwrap(expected["embedding"] as? [Double], id).map(Float.init), id)
            XCTAssertEqual(
                try JSONSerialization.data(withJSONObject: line.filter { $0.key != "embedding" }, options: .sortedKeys),
                try JSONSerialization.data(withJSONObject: expected.filter { $0.key != "embedding" }, options: .sortedKeys),
                id)
        }

        let scratch = try ScratchFolder()
        let store = try BraidProcess.run(
            ["embed", "--quiet", "--embedding-format", "base64", "--db", scratch.path("v.db"), "Fixtures/text"])
        XCTAssertEqual(store.status, 64, "a usage error")
        XCTAssertTrue(store.stderrText.contains("drop '--embedding-format base64'"), store.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("v.db")))
    }

    func test_ids_come_out_in_sorted_input_order_with_several_jobs() throws {
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(60)
        let result = try BraidProcess.run([
            "embed", "--quiet", "--jobs", "4", "--batch-size", "5", "--encoder", "text=hashed", scratch.path("texts"),
        ])
        XCTAssertEqual(result.status, 0, result.stderrText)
        XCTAssertEqual(try result.stdoutLines.map { try jsonObject($0)["id"] as? String }, names)
    }

    func test_lines_and_records_give_their_own_ids() throws {
        let lines = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=hashed", "--lines", "-"],
            input: Data("red apples\ngreen pears\n".utf8))
        XCTAssertEqual(try lines.stdoutLines.map { try jsonObject($0)["id"] as? String }, ["1", "2"])
        let records = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=hashed", "--records", "-"],
            input: Data(#"{"id": "a", "text": "red apples"}\#n{"id": "b", "path": "Fixtures/text/utf8.txt"}\#n"#.utf8))
        XCTAssertEqual(records.status, 0, records.stderrText)
        XCTAssertEqual(try records.stdoutLines.map { try jsonObject($0)["id"] as? String }, ["a", "b"])
    }

    func test_similar_inputs_score_higher_than_dissimilar_ones() throws {
        let scratch = try ScratchFolder()
        // A crop of an image against another image; a tone against the same tone louder and against noise.
        let fixture = "Fixtures/png/pngsuite/basn2c08.png"
        let crop = scratch.path("crop.png")
        let other = scratch.path("other.png")
        try ffmpeg(["-i", fixture, "-vf", "crop=24:24:4:4,scale=32:32", crop])
        try ffmpeg(["-f", "lavfi", "-i", "mandelbrot=size=32x32", "-frames:v", "1", other])
        try ffmpeg([
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-af", "volume=0.3", scratch.path("tone.wav"),
        ])
        try ffmpeg([
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-af", "volume=0.9", scratch.path("tone-loud.wav"),
        ])
        try ffmpeg(["-f", "lavfi", "-i", "anoisesrc=duration=1:seed=7", scratch.path("noise.wav")])
        let result = try BraidProcess.run([
            "embed", "--quiet", BraidProcess.packageRoot.appendingPathComponent(fixture).path, crop, other,
            scratch.path("tone.wav"), scratch.path("tone-loud.wav"), scratch.path("noise.wav"),
        ])
        XCTAssertEqual(result.status, 0, result.stderrText)
        let vectors = try result.stdoutLines.map { try XCTUnwrap(jsonObject($0)["embedding"] as? [Double]) }
        XCTAssertEqual(vectors.count, 6)
        XCTAssertGreaterThan(
            cosine(vectors[0], vectors[1]), cosine(vectors[0], vectors[2]) + 0.05, "crop vs other image")
        XCTAssertGreaterThan(cosine(vectors[3], vectors[4]), cosine(vectors[3], vectors[5]) + 0.2, "tone vs noise")
    }

    func test_stdin_is_sniffed_by_content() throws {
        let png = try Data(
            contentsOf: BraidProcess.packageRoot.appendingPathComponent("Fixtures/png/pngsuite/basn6a08.png"))
        let result = try BraidProcess.run(["embed", "--quiet", "-"], input: png)
        XCTAssertEqual(result.status, 0, result.stderrText)
        let record = try jsonObject(try XCTUnwrap(result.stdoutLines.first))
        XCTAssertEqual(record["id"] as? String, "stdin")
        XCTAssertEqual(record["modality"] as? String, "image")
        XCTAssertEqual((record["meta"] as? [String: Any])?["width"] as? Int, 32)
    }

    func test_shards_partition_the_items() throws {
        let scratch = try ScratchFolder()
        let names = try scratch.writeTexts(40)
        var seen: [String] = []
        for shard in 0..<3 {
            let result = try BraidProcess.run([
                "embed", "--quiet", "--encoder", "text=hashed", "--shard", "\(shard)/3", scratch.path("texts"),
            ])
            XCTAssertEqual(result.status, 0, result.stderrText)
            let ids = try result.stdoutLines.map { try XCTUnwrap(jsonObject($0)["id"] as? String) }
            XCTAssertLessThan(ids.count, names.count, "a shard holds only part of the items")
            seen += ids
        }
        XCTAssertEqual(seen.sorted(), names)
    }

    func test_bad_flags_and_pipeline_files_fail_before_any_work() throws {
        let noInput = try BraidProcess.run(["embed"])
        XCTAssertNotEqual(noInput.status, 0)
        XCTAssertTrue(noInput.stderrText.contains("Nothing to embed"), noInput.stderrText)
        let badEncoder = try BraidProcess.run(["embed", "--encoder", "image=nope", "Fixtures/text"])
        XCTAssertEqual(badEncoder.status, 1)
        XCTAssertTrue(badEncoder.stderrText.contains("nope"), badEncoder.stderrText)
        let scratch = try ScratchFolder()
        try Data("input:\n  paths: [x]\nencode:\n  batch: 0\n".utf8).write(
            to: URL(fileURLWithPath: scratch.path("p.yaml")))
        let badPipeline = try BraidProcess.run(["run", scratch.path("p.yaml")])
        XCTAssertEqual(badPipeline.status, 1)
        XCTAssertTrue(
            badPipeline.stderrText.contains("p.yaml:4:10: 'batch' must be a whole number of at least 1"),
            badPipeline.stderrText)
    }

    func test_the_shipped_pipeline_runs_on_given_inputs() throws {
        let result = try BraidProcess.run([
            "run", "--quiet", "pipelines/embed-folder.yaml", "Fixtures/video/h264-aac.mp4", "Fixtures/wav",
        ])
        let records = try result.stdoutLines.map(jsonObject)
        let video = try XCTUnwrap(records.first { $0["modality"] as? String == "video" })
        let meta = try XCTUnwrap(video["meta"] as? [String: Any])
        XCTAssertEqual(meta["width"] as? Int, 224, "the file's size: 224x224")
        XCTAssertEqual(meta["sample_rate"] as? Int, 16000, "the file's sample_rate")
        XCTAssertTrue(records.contains { $0["modality"] as? String == "audio" })
    }

    private func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-loglevel", "error", "-y"] + arguments
        process.currentDirectoryURL = BraidProcess.packageRoot
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "ffmpeg \(arguments)")
    }
}
