import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// Each generative model trains through the shared loop on a small set of bar images: its loss falls, its folder
/// loads, and it reconstructs, samples, interpolates and scores as stated; the wrong requests are clear errors.
final class GenerativeTrainingTests: XCTestCase {
    private let environment = TrainingRun.Environment(threads: 2, decodeJobs: 2, quiet: true, log: nil)

    private func bars(perClass: Int = 48) throws -> LabelledData {
        let folder = try makeTemporaryFolder(self)
        try writeBarDataset(in: folder, perClass: perClass)
        var data = LabelledData()
        data.paths = [folder.path]
        return data
    }

    private func train(_ kind: TrainingKind, data: LabelledData, epochs: Int, into folder: String) async throws
        -> [Double]
    {
        var options =
            if case .codePrior = kind { CodePriorTraining.defaultOptions } else {
                GenerativeTraining.defaultOptions(for: .autoencoder)
            }
        options.epochs = epochs
        options.batchSize = 8
        options.validationFraction = 0.2
        options.seed = 5
        if case .generative(let settings) = kind, settings.architecture == .vqvae { options.learningRate = 3e-3 }
        let record = try await TrainingRun.start(
            kind, data: data, options: options, folder: folder, environment: environment)
        return record.history.map { $0.training["loss"] ?? .nan }
    }

    private func settings(_ architecture: GenerativeArchitecture, configure: (inout GenerativeSettings) -> Void = { _ in })
        -> GenerativeSettings
    {
        var settings = GenerativeSettings(architecture: architecture)
        configure(&settings)
        return settings
    }

    func testEachAutoencoderLearnsAndItsFolderReconstructs() async throws {
        let data = try bars()
        let root = try makeTemporaryFolder(self)
        let kinds: [(String, GenerativeSettings)] = [
            ("ae", settings(.autoencoder)),
            ("dae", settings(.autoencoder) { $0.corruption = .standard }),
            ("vae", settings(.vae)),
            ("vqvae", settings(.vqvae)),
            ("vqvae-ema", settings(.vqvae) { $0.emaDecay = 0.9; $0.restartInterval = 5 }),
        ]
        // A training example: the first horizontal bar.
        let bar = Media.image(barImage(horizontal: true, seed: 0))
        for (name, settings) in kinds {
            let folder = root.appendingPathComponent(name).path
            let epochs = 8
            let losses = try await train(.generative(settings), data: data, epochs: epochs, into: folder)
            XCTAssertLessThan(losses[epochs - 1], losses[0] * 0.9, "\(name): the training loss falls: \(losses)")

            let model = try GenerativeModel(folder: try ModelLocator.folder(for: folder))
            XCTAssertEqual(model.architecture, settings.architecture)
            XCTAssertEqual(model.corruption, settings.corruption)
            let (outputs, inputs) = try model.reconstruct([bar])
            XCTAssertEqual([outputs[0].width, outputs[0].height, outputs[0].channels], [28, 28, 1])
            XCTAssertEqual(inputs[0].floatSamples, barImage(horizontal: true, seed: 0).floatSamples)
            // After a few dozen steps a dense network's redrawing is blurred, but brighter where the bar is than
            // around it. (A VQ-VAE's codes take longer to settle on sparse bars; the shipped model's reconstruction
            // error on MNIST is checked in ShippedModelTests.)
            let (output, input) = (outputs[0].floatSamples, inputs[0].floatSamples)
            if settings.architecture != .vqvae {
                let onBar = input.indices.filter { input[$0] > 0.5 }
                let offBar = input.indices.filter { input[$0] == 0 }
                XCTAssertGreaterThan(
                    onBar.map { output[$0] }.reduce(0, +) / Float(onBar.count),
                    offBar.map { output[$0] }.reduce(0, +) / Float(offBar.count) + 0.05, "\(name): the bar shows")
            }
            XCTAssertEqual(try model.embed([bar])[0].count, model.embeddingSize)
            XCTAssertEqual(try model.interpolate(from: bar, to: .image(barImage(horizontal: false, seed: 1)), steps: 5).count, 5)
            let scores = try model.scores([bar])[0]
            switch settings.architecture {
            case .autoencoder: XCTAssertEqual(Set(scores.keys), ["mse_per_pixel", "bce_per_pixel"])
            case .vae: XCTAssertEqual(Set(scores.keys), ["neg_elbo", "bce", "kl"])
            case .vqvae: XCTAssertEqual(Set(scores.keys), ["mse_per_pixel"])
            }
        }
        XCTAssertThrowsError(try GenerativeModel(folder: ModelLocator.folder(for: root.appendingPathComponent("ae").path)).sample(count: 2, label: nil, seed: 1)) {
            XCTAssertTrue("\($0)".contains("no distribution to sample from"), "\($0)")
        }
        let vae = try GenerativeModel(folder: ModelLocator.folder(for: root.appendingPathComponent("vae").path))
        XCTAssertEqual(try vae.sample(count: 3, label: nil, seed: 1).count, 3)
        XCTAssertEqual(
            try vae.sample(count: 2, label: nil, seed: 9).map(\.floatSamples),
            try vae.sample(count: 2, label: nil, seed: 9).map(\.floatSamples), "the seed fixes the draws")
        XCTAssertThrowsError(try vae.sample(count: 1, label: "7", seed: 1))

        // The prior learns the VQ-VAE's codes of each class and samples by label.
        let vqvae = root.appendingPathComponent("vqvae").path
        let priorLosses = try await train(
            .codePrior(vqvae: vqvae, conditioned: true), data: data, epochs: 3, into: vqvae + "/prior")
        XCTAssertLessThan(priorLosses[2], priorLosses[0], "the prior's loss falls: \(priorLosses)")
        let withPrior = try GenerativeModel(folder: ModelLocator.folder(for: vqvae))
        XCTAssertEqual(withPrior.sampleLabels, ["h", "v"])
        XCTAssertEqual(try withPrior.sample(count: 4, label: "v", seed: 2).count, 4)
        XCTAssertThrowsError(try withPrior.sample(count: 1, label: "x", seed: 2)) {
            XCTAssertTrue("\($0)".contains("not one of the prior's"), "\($0)")
        }
        XCTAssertThrowsError(try GenerativeModel(folder: ModelLocator.folder(for: root.appendingPathComponent("vqvae-ema").path)).sample(count: 1, label: nil, seed: 2)) {
            XCTAssertTrue("\($0)".contains("has no prior"), "\($0)")
        }
    }

    func testAResumedVQVAERunRepeatsTheUninterruptedOne() async throws {
        // The VQ-VAE with both codebook options: its moving averages and usage counts live in the checkpoint too.
        let data = try bars(perClass: 16)
        let root = try makeTemporaryFolder(self)
        var settings = GenerativeSettings(architecture: .vqvae)
        settings.emaDecay = 0.9
        settings.restartInterval = 3
        let straight = root.appendingPathComponent("straight").path
        let resumed = root.appendingPathComponent("resumed").path
        _ = try await train(.generative(settings), data: data, epochs: 2, into: straight)
        _ = try await train(.generative(settings), data: data, epochs: 1, into: resumed)
        let record = try await TrainingRun.resume(folder: resumed, epochs: 2, environment: environment)
        XCTAssertEqual(record.history.count, 2)
        let (a, b) = (
            try SafeTensorsFile(contentsOf: URL(fileURLWithPath: straight + "/checkpoint.safetensors")),
            try SafeTensorsFile(contentsOf: URL(fileURLWithPath: resumed + "/checkpoint.safetensors"))
        )
        XCTAssertEqual(Set(a.entries.keys), Set(b.entries.keys))
        XCTAssertTrue(a.entries.keys.contains("model.quantizer.ema_sum"), "the averages are checkpointed")
        for name in a.entries.keys.sorted() {
            XCTAssertEqual(try a.tensor(name).scalars, try b.tensor(name).scalars, "\(name) differs after resuming")
        }
    }

    func testUnlabelledImagesTrainAnAutoencoderButNotAClassifier() async throws {
        let folder = try makeTemporaryFolder(self)
        for index in 0..<40 { try writePNG(barImage(horizontal: index % 2 == 0, seed: UInt64(index)), "\(index).png", in: folder) }
        var data = LabelledData()
        data.paths = [folder.path]
        let losses = try await train(
            .generative(settings(.autoencoder)), data: data, epochs: 2,
            into: try makeTemporaryFolder(self).appendingPathComponent("ae").path)
        XCTAssertEqual(losses.count, 2)
        do {
            _ = try await TrainingRun.start(
                .classifier(.imageCNN), data: data, options: TrainingOptions(),
                folder: try makeTemporaryFolder(self).appendingPathComponent("c").path, environment: environment)
            XCTFail("a classifier trained without labels")
        } catch {
            XCTAssertTrue("\(error)".contains("no usable examples"), "\(error)")
        }
    }

    func testAPriorIsTrainedForAVQVAEOnly() async throws {
        let data = try bars(perClass: 16)
        let root = try makeTemporaryFolder(self)
        let ae = root.appendingPathComponent("ae").path
        _ = try await train(.generative(settings(.autoencoder)), data: data, epochs: 1, into: ae)
        do {
            _ = try await train(.codePrior(vqvae: ae, conditioned: false), data: data, epochs: 1, into: ae + "/prior")
            XCTFail("a prior trained for an autoencoder")
        } catch {
            XCTAssertTrue("\(error)".contains("a code prior is trained for a VQ-VAE"), "\(error)")
        }
    }

    func testCorruptionsKeepPixelsInRangeAndHitTheirShare() {
        var rng = SeededRNG(seed: 1)
        let clean = (0..<10_000).map { _ in rng.nextUniform() }
        for kind in Corruption.Kind.allCases {
            var noise = SeededRNG(seed: 2)
            let noisy = Corruption(kind: kind, level: 0.3).apply(to: clean, rng: &noise)
            XCTAssertTrue(noisy.allSatisfy { (0...1).contains($0) }, "\(kind) stays in [0, 1]")
            let changed = zip(clean, noisy).filter { $0 != $1 }.count
            switch kind {
            case .gaussian: XCTAssertGreaterThan(changed, 9_900)
            case .masking, .saltAndPepper: XCTAssertEqual(Double(changed) / 10_000, 0.3, accuracy: 0.02)
            }
        }
    }

    func testNearestNeighboursVoteAsExpected() {
        // Two clusters on a line; a query near each takes its cluster's label.
        let index = NearestNeighbours(vectors: [0, 0.1, 0.2, 5, 5.1, 5.2], labels: ["a", "a", "a", "b", "b", "b"], width: 1)
        XCTAssertEqual(index.accuracy(of: [0.05, 5.05, 4.9], labels: ["a", "b", "a"], k: 3), 2.0 / 3.0, accuracy: 1e-9)
    }
}
