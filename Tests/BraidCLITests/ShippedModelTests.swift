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

    /// The image encoder of the fusion models and `digit-captions`: a little clean accuracy traded for digits that
    /// are noisy or half hidden, where `handwritten-digits` reads 16% (σ 0.3) and 68% (occlusion 0.5) of them.
    func testHandwrittenDigitsRobustReadsNoisyAndHalfHiddenDigits() throws {
        try requireSharedData()
        let digits = ["--data", Self.data.appendingPathComponent("mnist/test-images-idx3-ubyte.gz").path]
        let clean = try evaluate("handwritten-digits-robust", digits)
        XCTAssertEqual(clean.examples, 8000)
        XCTAssertGreaterThanOrEqual(clean.accuracy, 0.994, "the goal: at least 99.4% of MNIST's test digits")
        for (corruption, goal) in [("image-noise=0.3", 0.98), ("occlusion=0.5", 0.85)] {
            let result = try BraidProcess.run(
                ["eval", "handwritten-digits-robust"] + digits + ["--corrupt", corruption, "--quiet"],
                directory: FileManager.default.temporaryDirectory)
            XCTAssertEqual(result.status, 0, result.stderrText)
            let damaged = try JSONDecoder().decode(Evaluation.self, from: result.stdout)
            XCTAssertGreaterThanOrEqual(damaged.accuracy, goal, "the goal at \(corruption)")
        }
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

/// The shipped generative models: `braid eval` reproduces `models/NAME/evaluation.json` on MNIST's test digits and
/// meets the issue's goals, and the independent classifier judges the VQ-VAE's samples as `samples.json` states.
final class ShippedGenerativeModelTests: XCTestCase {
    private static let mnist = BraidProcess.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/data/mnist")

    private func requireMNIST() throws {
        guard FileManager.default.fileExists(atPath: Self.mnist.appendingPathComponent("test-images-idx3-ubyte.gz").path)
        else {
            throw XCTSkip(
                "\(Self.mnist.path) is missing (a clone without ../shared): the generative models' metrics are not measured")
        }
    }

    private struct Evaluation: Decodable {
        let examples: Int
        let metrics: [String: Double]
    }

    /// `braid eval NAME` on the test digits, checked against `evaluation.json` figure by figure.
    private func evaluate(_ name: String, _ extra: [String] = []) throws -> [String: Double] {
        let result = try BraidProcess.run(
            ["eval", name, "--data", Self.mnist.appendingPathComponent("test-images-idx3-ubyte.gz").path, "--quiet"]
                + extra, directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(result.status, 0, result.stderrText)
        let evaluation = try JSONDecoder().decode(Evaluation.self, from: result.stdout)
        XCTAssertEqual(evaluation.examples, 8000)
        let stated = try JSONDecoder().decode(
            Evaluation.self,
            from: Data(contentsOf: BraidProcess.packageRoot.appendingPathComponent("models/\(name)/evaluation.json")))
        XCTAssertEqual(Set(evaluation.metrics.keys), Set(stated.metrics.keys))
        for (figure, value) in stated.metrics {
            // The same weights and digits; only the order of float sums may differ with the threads.
            XCTAssertEqual(evaluation.metrics[figure] ?? .nan, value, accuracy: 1e-4 * max(1, abs(value)), "\(name) \(figure)")
        }
        return evaluation.metrics
    }

    func testAutoencoderBeatsItsTwinAndItsCodesClassifyByNearestNeighbours() throws {
        try requireMNIST()
        let metrics = try evaluate(
            "digits-ae", ["--knn-index", Self.mnist.appendingPathComponent("train-images-idx3-ubyte.gz").path])
        XCTAssertLessThanOrEqual(metrics["mse_per_pixel"] ?? 1, 0.00769, "the PyTorch twin's MSE per pixel")
        XCTAssertLessThanOrEqual(metrics["bce_per_pixel"] ?? 1, 0.0848, "the twin's BCE per pixel")
        XCTAssertGreaterThanOrEqual(metrics["knn5_accuracy"] ?? 0, 0.975, "the goal for 5-NN on the 32-d codes")
    }

    func testDenoisingAutoencoderBeatsItsTwin() throws {
        try requireMNIST()
        let metrics = try evaluate("digits-dae")
        XCTAssertEqual(metrics["psnr_noisy_pooled"] ?? 0, 9.37, accuracy: 0.05, "σ = 0.5 noise, as the twin's")
        XCTAssertGreaterThanOrEqual(metrics["psnr_denoised_pooled"] ?? 0, 17.50, "the twin's PSNR")
    }

    func testVAEBoundIsTighterThanItsTwin() throws {
        try requireMNIST()
        XCTAssertLessThanOrEqual(try evaluate("digits-vae")["neg_elbo"] ?? .infinity, 107.5, "the twin's −ELBO, nats")
    }

    func testVQVAEReconstructsUsesItsCodebookAndSamplesDigits() throws {
        try requireMNIST()
        let metrics = try evaluate("digits-vqvae")
        XCTAssertLessThanOrEqual(metrics["mse_per_pixel"] ?? 1, 0.00291, "the twin's MSE per pixel")
        XCTAssertGreaterThanOrEqual(metrics["perplexity"] ?? 0, 30)

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("braid-samples-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: work) }
        let sampled = try BraidProcess.run(
            ["sample", "digits-vqvae", "--n", "1000", "--seed", "1", "--out-dir", work.path],
            directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(sampled.status, 0, sampled.stderrText)
        let judged = try BraidProcess.run(
            ["classify", "handwritten-digits", work.path, "--top", "1", "--quiet"],
            directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(judged.status, 0, judged.stderrText)
        let labels = try judged.stdoutLines.map { line -> (String, Double) in
            let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (record["label"] as? String ?? "", record["score"] as? Double ?? 0)
        }
        XCTAssertEqual(labels.count, 1000)
        let confident = labels.filter { $0.1 >= 0.9 }
        // The shipped classifier's verdict as scripts/judge-samples states it (the same seed). The 90% goal is measured
        // by the script with a judge trained without label smoothing (samples.json: 92.5%), which takes minutes to
        // train; the shipped one, trained with smoothing 0.1, rarely says more than 0.93 even of MNIST's own digits.
        struct Judgement: Decodable {
            let confidentShare: Double
            enum CodingKeys: String, CodingKey { case confidentShare = "confident_share" }
        }
        let stated = try JSONDecoder().decode(
            Judgement.self,
            from: Data(contentsOf: BraidProcess.packageRoot.appendingPathComponent("models/digits-vqvae/samples-handwritten-digits.json")))
        XCTAssertEqual(Double(confident.count) / 1000, stated.confidentShare, accuracy: 0.005)
        XCTAssertEqual(Set(confident.map(\.0)).count, 10, "every digit appears")
    }
}
