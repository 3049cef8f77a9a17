import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// The training loop end to end on a small data set: the loss falls, the model folder loads, and a run stopped at a
/// checkpoint and resumed ends with the uninterrupted run's weights, bit for bit.
final class TrainingRunTests: XCTestCase {
    private let environment = TrainingRun.Environment(threads: 2, decodeJobs: 2, quiet: true, log: nil)

    private func options(epochs: Int) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 16
        options.validationFraction = 0.2
        options.seed = 11
        return options
    }

    private func bars() throws -> LabelledData {
        let folder = try makeTemporaryFolder(self)
        try writeBarDataset(in: folder, perClass: 64)
        var data = LabelledData()
        data.paths = [folder.path]
        return data
    }

    func testAFewEpochsLearnAndTheFolderIsAModel() async throws {
        let data = try bars()
        let out = try makeTemporaryFolder(self).appendingPathComponent("run").path
        var options = options(epochs: 4)
        options.batchSize = 8
        options.augment = false
        let record = try await TrainingRun.start(
            .classifier(.imageCNN), data: data, options: options, folder: out, environment: environment)
        XCTAssertEqual(record.history.count, 4)
        let losses = record.history.map { $0.training["loss"] ?? .nan }
        XCTAssertLessThan(losses[3], losses[0] * 0.8, "the training loss falls: \(losses)")
        XCTAssertGreaterThanOrEqual(record.best?.validation["accuracy"] ?? 0, 0.9)
        XCTAssertEqual(record.labels, ["h", "v"])
        XCTAssertEqual(record.examples.training + record.examples.validation, 128)

        // The folder is a model: the classifier it loads labels bars as the network in training did.
        let classifier = try Classifier(named: out)
        XCTAssertEqual(classifier.labels, ["h", "v"])
        let predictions = try classifier.predict(
            [.image(barImage(horizontal: true, seed: 1001)), .image(barImage(horizontal: false, seed: 1002))],
            ids: ["h", "v"])
        XCTAssertEqual(predictions.map { $0.probabilities[0] > 0.5 }, [true, false])
        XCTAssertEqual(predictions[0].embedding.count, 128)
        let tokens = try classifier.predict([.image(barImage(horizontal: true, seed: 5))], ids: ["t"], tokens: true)
        XCTAssertEqual(tokens[0].tokenShape, [49, 64], "a 7×7 grid of the last stage's 64 channels")
        XCTAssertEqual(tokens[0].tokens.count, 49 * 64)
        XCTAssertTrue(predictions[0].tokens.isEmpty)
        XCTAssertEqual(predictions[0].embedding.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)

        do {
            _ = try await TrainingRun.start(
                .classifier(.imageCNN), data: data, options: options, folder: out, environment: environment)
            XCTFail("a second run overwrote the first")
        } catch let error as TrainingError {
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
    }

    func testAResumedRunEndsWithTheUninterruptedRunsWeights() async throws {
        let data = try bars()
        let root = try makeTemporaryFolder(self)
        let straight = root.appendingPathComponent("straight").path
        let interrupted = root.appendingPathComponent("interrupted").path
        var options = options(epochs: 3)
        options.checkpointSteps = 2
        _ = try await TrainingRun.start(
            .classifier(.imageCNN), data: data, options: options, folder: straight, environment: environment)
        // The same run, stopped once it has written a checkpoint, then continued.
        let environment = environment
        let run = Task {
            try await TrainingRun.start(
                .classifier(.imageCNN), data: data, options: options, folder: interrupted, environment: environment)
        }
        let checkpoint = URL(fileURLWithPath: interrupted).appendingPathComponent(RunFolder.checkpointFile).path
        // Watched from a thread of its own: the run keeps the concurrency pool's threads busy.
        let watcher = Thread {
            while !FileManager.default.fileExists(atPath: checkpoint) { usleep(1000) }
            run.cancel()
        }
        watcher.start()
        do {
            _ = try await run.value
            XCTFail("the run finished before it was stopped")
        } catch is CancellationError {}
        let resumed = try await TrainingRun.resume(folder: interrupted, epochs: 3, environment: environment)
        XCTAssertEqual(resumed.history.count, 3)
        // The weights, and the optimiser's state the checkpoint holds (its metadata records times, which differ).
        let model = "model.safetensors"
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: straight).appendingPathComponent(model)),
            try Data(contentsOf: URL(fileURLWithPath: interrupted).appendingPathComponent(model)), "the weights differ")
        let a = try SafeTensorsFile(
            contentsOf: URL(fileURLWithPath: straight).appendingPathComponent(RunFolder.checkpointFile))
        let b = try SafeTensorsFile(
            contentsOf: URL(fileURLWithPath: interrupted).appendingPathComponent(RunFolder.checkpointFile))
        XCTAssertEqual(a.keys, b.keys)
        for key in a.keys { XCTAssertEqual(try a.tensor(key).scalars, try b.tensor(key).scalars, key) }
    }
}
