import Foundation
import XCTest

@testable import Braid

/// `braid generate` and the text-to-image pipeline with the shipped diffusion model, through the binary, run from
/// another folder so the model is found by name: the PNGs decode at the stated size, the same seed draws the same
/// bytes, a file of prompts streams through with one line per prompt, the samples are the digits asked for, and bad
/// requests fail before any work with a clear error and no file.
final class GenerateCommandTests: XCTestCase {
    /// A scratch folder that lives until the test ends.
    private func folder() throws -> URL {
        let scratch = try ScratchFolder()
        addTeardownBlock { _ = scratch }
        return scratch.url
    }

    private func run(_ arguments: [String], in directory: URL, input: Data = Data()) throws -> BraidProcess.Result {
        try BraidProcess.run(arguments, input: input, directory: directory)
    }

    func testOnePromptDrawsAGridFilesAndATraceTheSameEachTime() throws {
        let work = try folder()
        let grid = try run(["generate", "a handwritten seven", "--n", "4", "--steps", "10", "--out", "g.png", "-q"], in: work)
        XCTAssertEqual(grid.status, 0, grid.stderrText)
        // 2 × 2 tiles of 28 pixels with 2-pixel gaps around and between.
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("g.png")), [62, 62, 1])

        for name in ["a", "b"] {
            let files = try run(
                ["generate", "the digit 4", "--n", "2", "--steps", "10", "--seed", "5", "--out-dir", name, "-q"], in: work)
            XCTAssertEqual(files.status, 0, files.stderrText)
            XCTAssertEqual(files.stdoutLines.count, 2)
        }
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("a/0001.png")), [28, 28, 1])
        XCTAssertEqual(
            try Data(contentsOf: work.appendingPathComponent("a/0001.png")),
            try Data(contentsOf: work.appendingPathComponent("b/0001.png")), "the same seed and prompt, the same bytes")
        XCTAssertNotEqual(
            try Data(contentsOf: work.appendingPathComponent("a/0000.png")),
            try Data(contentsOf: work.appendingPathComponent("a/0001.png")))

        let trace = try run(["generate", "2", "--trace", "--steps", "20", "--out", "trace.png", "-q"], in: work)
        XCTAssertEqual(trace.status, 0, trace.stderrText)
        // Ten stages and the result in one row.
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("trace.png")), [11 * 30 + 2, 32, 1])
    }

    func testAFileOfPromptsStreamsThroughTheGenerateStage() throws {
        let work = try folder()
        let prompts = "a handwritten 3\n?!\nnumber nine\n"
        let drawn = try run(
            ["generate", "--prompts", "-", "--n", "2", "--steps", "8", "--out-dir", "drawn", "-q"], in: work,
            input: Data(prompts.utf8))
        XCTAssertEqual(drawn.status, 1, "the line without a word fails; the others are drawn")
        XCTAssertTrue(drawn.stderrText.contains("no letters or digits"), drawn.stderrText)
        let lines = try drawn.stdoutLines.map(jsonObject)
        XCTAssertEqual(lines.map { $0["id"] as? String }, ["1", "3"])
        XCTAssertEqual(lines.map { $0["prompt"] as? String }, ["a handwritten 3", "number nine"])
        XCTAssertEqual(lines[1]["files"] as? [String], ["drawn/3-0.png", "drawn/3-1.png"])
        for name in ["1-0.png", "1-1.png", "3-0.png", "3-1.png"] {
            XCTAssertEqual(try decodedSize(work.appendingPathComponent("drawn/\(name)")), [28, 28, 1])
        }

        let file = work.appendingPathComponent("prompts.txt")
        try Data("the number 4\nseven\n".utf8).write(to: file)
        let pipeline = BraidProcess.packageRoot.appendingPathComponent("pipelines/text-to-image.yaml").path
        let ran = try run(["run", pipeline, file.path, "-q"], in: work)
        XCTAssertEqual(ran.status, 0, ran.stderrText)
        XCTAssertEqual(ran.stdoutLines.count, 2)
        // The pipeline file's n: 4.
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("drawn/2-3.png")), [28, 28, 1])
    }

    func testTheShippedModelDrawsTheDigitsAskedFor() throws {
        // A small sample of the fidelity goal (≥ 97% on 100 per digit, in models/digits-diffusion/evaluation.json),
        // judged by the shipped classifier, which was trained on real digits only.
        let work = try folder()
        let judged = try run(
            ["eval", "digits-diffusion", "--judge", "handwritten-digits", "--per-label", "3", "--steps", "25", "-q"],
            in: work)
        XCTAssertEqual(judged.status, 0, judged.stderrText)
        let report = try jsonObject(judged.stdoutLines.first ?? "{}")
        XCTAssertGreaterThanOrEqual(report["fidelity"] as? Double ?? 0, 0.9, judged.stdoutLines.first ?? "")
        XCTAssertEqual(report["samples"] as? Int, 30)
    }

    func testBadRequestsFailBeforeAnyWork() throws {
        let work = try folder()
        let blocker = work.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["generate", "  ", "--out", "x.png"], 64, "The prompt is empty"),
            (["generate", "?!", "--out", "x.png"], 1, "no letters or digits"),
            (["generate", "7", "--steps", "0", "--out", "x.png"], 64, "'--steps' must be at least 1"),
            (["generate", "7", "--guidance", "lots", "--out", "x.png"], 64, "lots"),
            (["generate", "7", "--out-dir", "file/inner"], 1, "cannot create the folder"),
            (["generate", "7", "--out", "missing/x.png"], 1, "its folder does not exist"),
            (["generate", "7", "--model", "digits-vae", "--out", "x.png"], 1, "not a text-to-image diffusion model"),
            (["generate", "7", "--steps", "5000", "--out", "x.png"], 1, "more than its 1000 steps"),
        ]
        for (arguments, status, message) in cases {
            let result = try run(arguments, in: work)
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderrText)")
            XCTAssertTrue(result.stderrText.contains(message), "\(arguments): \(result.stderrText)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: work.path)
        XCTAssertEqual(left, ["file"], "nothing written")
    }
}
