import Foundation
import XCTest

@testable import Braid

/// Loading labelled examples through the decode stage: cached or streamed, split, failures reported.
final class ExampleSetTests: XCTestCase {
    /// The first pixel: enough to tell examples apart.
    private let frontEnd = ExampleSet.decoding { media, _ in
        guard case .image(let image) = media else {
            throw EncodeError.nothingToEncode(encoder: "test", reason: "not an image")
        }
        return [image.floatSamples[0]]
    }

    private func ids(_ batches: any AsyncSequence<ExampleBatch, any Error>) async throws -> [[String]] {
        var result: [[String]] = []
        for try await batch in batches { result.append(batch.examples.map(\.id)) }
        return result
    }

    func testCachedAndStreamedExamplesHoldTheSameSplit() async throws {
        let folder = try makeTemporaryFolder(self)
        for index in 0..<30 {
            for label in ["a", "b"] {
                let pixel = UInt8(index * 2 + (label == "a" ? 0 : 1))
                try writePNG(
                    Image(width: 2, height: 2, channels: 1, bytes: [pixel, 0, 0, 0]), "\(label)/\(index).png",
                    in: folder)
            }
        }
        try writeFile("a/corrupt.png", in: folder, contents: "\u{89}PNG not really")
        var data = LabelledData()
        data.paths = [folder.path]
        var splits: [(training: Set<String>, validation: [String])] = []
        for cacheBytes in [1 << 30, 0] {
            let log = try errorLog(in: try makeTemporaryFolder(self))
            let examples = try await ExampleSet.load(
                data, split: ValidationSplit(fraction: 0.25, seed: 3), cacheBytes: cacheBytes, decodeJobs: 2,
                errors: log.writer, frontEnd: frontEnd)
            XCTAssertEqual(examples.isCached, cacheBytes > 0)
            XCTAssertEqual(examples.labels, ["a", "b"])
            XCTAssertEqual(examples.failedCount, 1)
            XCTAssertEqual(log.lines().count, 1)
            XCTAssertTrue(log.lines().first?.contains("a/corrupt.png") ?? false, "the failure names the file")
            XCTAssertEqual(examples.trainingCount + examples.validationCount, 60)

            let epoch = try await ids(examples.trainingBatches(epoch: 0, batchSize: 8, seed: 5))
            XCTAssertEqual(epoch.count, examples.trainingCount / 8, "the partial batch is dropped")
            XCTAssertTrue(epoch.allSatisfy { $0.count == 8 })
            XCTAssertEqual(Set(epoch.joined()).count, epoch.count * 8, "no example twice in an epoch")
            let again = try await ids(examples.trainingBatches(epoch: 0, batchSize: 8, seed: 5))
            let nextEpoch = try await ids(examples.trainingBatches(epoch: 1, batchSize: 8, seed: 5))
            let skipping = try await ids(examples.trainingBatches(epoch: 0, batchSize: 8, seed: 5, skipping: 2))
            XCTAssertEqual(again, epoch, "seeded")
            XCTAssertNotEqual(nextEpoch, epoch)
            XCTAssertEqual(skipping, Array(epoch.dropFirst(2)), "resuming skips the batches done")
            let everything = try await ids(examples.trainingBatches(epoch: 0, batchSize: 1, seed: 5))
            let validation = try await ids(examples.validationBatches(batchSize: 4)).joined()
            XCTAssertEqual(Set(everything.joined()).count, examples.trainingCount)
            XCTAssertTrue(Set(validation).isDisjoint(with: everything.joined()))
            splits.append((Set(everything.joined()), Array(validation)))
        }
        XCTAssertEqual(splits[0].training, splits[1].training)
        XCTAssertEqual(splits[0].validation, splits[1].validation, "validation comes in source order either way")
    }

    func testLabelsOfTheModelAndEmptyData() async throws {
        let folder = try makeTemporaryFolder(self)
        try writePNG(Image(width: 1, height: 1, channels: 1, bytes: [9]), "seven/1.png", in: folder)
        try writePNG(Image(width: 1, height: 1, channels: 1, bytes: [9]), "cat/1.png", in: folder)
        var data = LabelledData()
        data.paths = [folder.path]
        let log = try errorLog(in: try makeTemporaryFolder(self))
        let examples = try await ExampleSet.load(
            data, split: nil, labels: ["seven", "eight"], cacheBytes: 1 << 20, decodeJobs: 1, errors: log.writer,
            frontEnd: frontEnd)
        XCTAssertEqual(examples.validationCount, 1)
        XCTAssertEqual(examples.failedCount, 1)
        XCTAssertTrue(log.lines().first?.contains("label 'cat' is not one of the model's (seven, eight)") ?? false)

        let empty = try makeTemporaryFolder(self)
        data.paths = [empty.path]
        do {
            _ = try await ExampleSet.load(
                data, split: ValidationSplit(fraction: 0.1, seed: 1), cacheBytes: 1 << 20, decodeJobs: 1,
                errors: log.writer, frontEnd: frontEnd)
            XCTFail("an empty folder made a data set")
        } catch let error as TrainingError {
            XCTAssertEqual(error, .noExamples(failed: 0))
        }
    }

    func testNumericLabelsSortAsNumbers() {
        XCTAssertEqual(ExampleSet.sortedLabels(["10", "2", "1"]), ["1", "2", "10"])
        XCTAssertEqual(ExampleSet.sortedLabels(["b", "10", "a"]), ["10", "a", "b"])
    }
}
