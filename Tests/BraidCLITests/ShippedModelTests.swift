import Foundation
import XCTest

/// The models compiled into `braid`: found by name wherever the binary runs, and, where `../shared/data` is beside
/// the repository, as accurate on their test splits as `models/NAME/evaluation.json` (written by
/// scripts/train-models) and the README state.
final class ShippedModelTests: XCTestCase {
    private static let data = BraidProcess.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    private func requireSharedData() throws {
        guard FileManager.default.fileExists(atPath: Self.data.appendingPathComponent("mnist").path),
            FileManager.default.fileExists(atPath: Self.data.appendingPathComponent("fsdd/recordings").path)
        else {
            throw XCTSkip(
                "\(Self.data.path) is missing (a clone without ../shared): the shipped models' test accuracies are not measured"
            )
        }
    }

    private struct Evaluation: Decodable, Equatable {
        struct Score: Decodable, Equatable {
            let accuracy: Double
            let count: Int
        }
        let examples: Int
        let accuracy: Double
        let perClass: [String: Score]
        let perGroup: [String: Score]?

        enum CodingKeys: String, CodingKey {
            case examples, accuracy
            case perClass = "per_class"
            case perGroup = "per_group"
        }
    }

    /// `braid eval NAME ...`, run from another folder so the model is found by name, not by path.
    private func evaluate(_ name: String, _ arguments: [String]) throws -> Evaluation {
        let result = try BraidProcess.run(
            ["eval", name] + arguments + ["--quiet"], directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(result.status, 0, result.stderrText)
        let evaluation = try JSONDecoder().decode(Evaluation.self, from: result.stdout)
        let stated = try JSONDecoder().decode(
            Evaluation.self,
            from: Data(contentsOf: BraidProcess.packageRoot.appendingPathComponent("models/\(name)/evaluation.json")))
        XCTAssertEqual(evaluation, stated, "\(name) no longer scores what evaluation.json states")
        return evaluation
    }

    func testHandwrittenDigitsOnTheMNISTTestDigits() throws {
        try requireSharedData()
        let evaluation = try evaluate(
            "handwritten-digits", ["--data", Self.data.appendingPathComponent("mnist/test-images-idx3-ubyte.gz").path])
        XCTAssertEqual(evaluation.examples, 8000)
        XCTAssertGreaterThanOrEqual(evaluation.accuracy, 0.995, "the goal: at least 99.5% of MNIST's test digits")
    }

    func testSpokenDigitsOnTheFSDDTestTakes() throws {
        try requireSharedData()
        let evaluation = try evaluate(
            "spoken-digits",
            ["--data", Self.data.appendingPathComponent("fsdd/recordings").path, "--match", #"_[0-4]\.wav$"#])
        XCTAssertEqual(evaluation.examples, 300)
        XCTAssertGreaterThanOrEqual(evaluation.accuracy, 0.995, "the goal: at least 99.5% of FSDD's test takes")
        let speakers = try XCTUnwrap(evaluation.perGroup, "training.json's group pattern gives the speakers")
        XCTAssertEqual(speakers.count, 6)
        for (speaker, score) in speakers {
            XCTAssertGreaterThanOrEqual(score.accuracy, 0.98, "every speaker at least 98%: \(speaker)")
        }
    }

    func testShippedModelsAreEncodersWhereverTheBinaryRuns() throws {
        let listed = try BraidProcess.run(["encoders", "--json"], directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(listed.status, 0)
        let rows = listed.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let shipped = rows.filter { ["handwritten-digits", "spoken-digits"].contains($0["name"] as? String) }
        XCTAssertEqual(
            shipped.map { $0["modality"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") }, ["audio", "image"])

        let fixtures = ["png/pngsuite/basn0g08.png", "png/pngsuite/basn2c08.png", "wav/s16-mono-16000.wav"].map {
            BraidProcess.packageRoot.appendingPathComponent("Fixtures/" + $0).path
        }
        let embedded = try BraidProcess.run(
            ["embed", "--encoder", "image=handwritten-digits,audio=spoken-digits"] + fixtures,
            directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(embedded.status, 0, embedded.stderrText)
        let lines = embedded.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines.allSatisfy { $0["dim"] as? Int == 128 })
        XCTAssertEqual(Set(lines.compactMap { $0["encoder"] as? String }), ["handwritten-digits", "spoken-digits"])
    }
}
