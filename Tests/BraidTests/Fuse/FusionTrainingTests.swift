import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// The fusion and caption models train through the shared loop on pairs of a bar image and a tone, with the
/// shipped digit classifiers as their frozen encoders: the loss falls, the folder loads, and evaluation runs the
/// way `braid eval` does.
final class FusionTrainingTests: XCTestCase {
    private let environment = TrainingRun.Environment(threads: 2, decodeJobs: 2, quiet: true, log: nil)

    /// Half a second at 8 kHz of a tone at `frequency` Hz.
    private func tone(_ frequency: Float, seed: UInt64) -> Audio {
        var rng = SeededRNG(seed: seed)
        let phase = rng.nextUniform() * 6
        return Audio(
            sampleRate: 8000, channels: 1,
            samples: (0..<4000).map { 0.3 * sin(phase + Float($0) * 2 * .pi * frequency / 8000) })
    }

    /// `perClass` pairs of each class: a horizontal bar with a low tone (label 0, caption "a flat bar, humming low"),
    /// a vertical bar with a high one (label 1, "a standing bar, humming high"), and half as many bars without
    /// sound (their own captions), as records in a fresh folder.
    private func pairs(perClass: Int) throws -> (data: LabelledData, records: URL) {
        let folder = try makeTemporaryFolder(self)
        var lines: [String] = []
        for index in 0..<perClass {
            for (label, horizontal, frequency) in [(0, true, Float(300)), (1, false, 1500)] {
                let name = "\(label)-\(index)"
                try writePNG(barImage(horizontal: horizontal, seed: UInt64(2 * index + label)), "\(name).png", in: folder)
                let sound = folder.appendingPathComponent("\(name).wav").path
                try WAVEncoder.write(tone(frequency, seed: UInt64(index)), to: sound)
                let image = folder.appendingPathComponent("\(name).png").path
                let caption = horizontal ? "a flat bar, humming low" : "a standing bar, humming high"
                lines.append(
                    #"{"id":"\#(name)","image":"\#(image)","audio":"\#(sound)","label":"\#(label)","caption":"\#(caption)"}"#)
                if index % 2 == 0 {
                    let alone = horizontal ? "a flat bar in silence" : "a standing bar in silence"
                    lines.append(#"{"id":"\#(name)-alone","image":"\#(image)","label":"\#(label)","caption":"\#(alone)"}"#)
                }
            }
        }
        let records = folder.appendingPathComponent("pairs.jsonl")
        try lines.joined(separator: "\n").write(to: records, atomically: true, encoding: .utf8)
        var data = LabelledData()
        data.records = records.path
        return (data, records)
    }

    private func options(_ base: TrainingOptions, epochs: Int) -> TrainingOptions {
        var options = base
        options.epochs = epochs
        options.batchSize = 16
        options.validationFraction = 0.2
        options.seed = 3
        return options
    }

    func testEachFusionLearnsToDecideOnPairsAndItsFolderLoads() async throws {
        let (data, records) = try pairs(perClass: 24)
        let root = try makeTemporaryFolder(self)
        // The records with both parts, and those of a bar alone, each as data of their own.
        func subset(_ name: String, withSound: Bool) throws -> LabelledData {
            let lines = try String(contentsOf: records, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains(#""audio""#) == withSound }
            let file = root.appendingPathComponent(name)
            try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            var subset = LabelledData()
            subset.records = file.path
            return subset
        }
        let (joint, alone) = (try subset("joint.jsonl", withSound: true), try subset("alone.jsonl", withSound: false))
        for architecture in FusionArchitecture.allCases {
            let folder = root.appendingPathComponent(architecture.shortName).path
            // 12 epochs: early and cross-attention fusion start from the digit classifiers' decisions, which mean
            // nothing for bars and tones, and unlearn them first (at 6, early fusion was right on 81% of pairs).
            let record = try await TrainingRun.start(
                .fusion(architecture, encoders: PartEncoders.Names()), data: data,
                options: options(FusionTraining.defaultOptions, epochs: 12), folder: folder, environment: environment)
            let losses = record.history.map { $0.training["loss"] ?? .nan }
            XCTAssertLessThan(losses.last ?? .nan, losses.first ?? .nan, "\(architecture) loss falls: \(losses)")
            let fusion = try Fusion(named: folder)
            let evaluation = try await FusionEvaluation.evaluate(
                fusion, on: joint, corruption: PartCorruption(), decodeJobs: 2)
            XCTAssertEqual(evaluation.examples, 48)
            // Every pair it got wrong is listed (up to 20), with both parts' own decisions.
            let wrong = 48 - Int((evaluation.accuracy * 48).rounded())
            XCTAssertEqual(evaluation.mistakes.count, min(wrong, 20), "\(architecture) mistakes")
            for mistake in evaluation.mistakes {
                XCTAssertNotEqual(mistake.got, mistake.expected)
                let (image, audio) = (try XCTUnwrap(mistake.image), try XCTUnwrap(mistake.audio))
                XCTAssertGreaterThanOrEqual(image.p, image.pExpected)
                XCTAssertGreaterThanOrEqual(audio.p, audio.pExpected)
            }
            // Late fusion only weighs the digit classifiers' own decisions, which know nothing of bars and tones;
            // the others learn from the encoders' features where both parts are there.
            if architecture != .late {
                XCTAssertGreaterThanOrEqual(evaluation.accuracy, 0.9, "\(architecture) tells the classes apart")
            }
            // A bar alone gets the image classifier's decision from every fusion, whatever it is worth.
            let single = try await FusionEvaluation.evaluate(
                fusion, on: alone, corruption: PartCorruption(), decodeJobs: 2)
            XCTAssertEqual(single.examples, 24)
            XCTAssertEqual(single.accuracy, try XCTUnwrap(single.imageOnly), "\(architecture) with one part")
        }
    }

    /// A fusion model saved before the networks changed on 2026-12-07 (early fusion without its decision head's
    /// gate, late fusion with a gate that read the decisions alone) is refused with a message that says so and what
    /// to do, not only which tensor does not fit.
    func testAFusionModelFromBeforeTheNetworksChangedIsAClearError() throws {
        let models = Fixtures.root.deletingLastPathComponent().appendingPathComponent("models")
        let oldCheckpoints: [(model: String, edit: (String, Tensor) -> Tensor?)] = [
            ("digits-fusion-early", { key, tensor in key.hasPrefix("experts.") ? nil : tensor }),
            // The old gate's input: both decisions (2 × 10) and the presence flags (2).
            (
                "digits-fusion-late",
                { key, tensor in key == "gate.layers.0.weight" ? tensor.sliced(axis: 1, 0..<22) : tensor }
            ),
        ]
        for (model, edit) in oldCheckpoints {
            let shipped = models.appendingPathComponent(model)
            let folder = try makeTemporaryFolder(self).appendingPathComponent("old-\(model)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: shipped.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
            let weights = try SafeTensorsFile(contentsOf: shipped.appendingPathComponent("model.safetensors"))
            let kept = try weights.keys.reduce(into: [String: Tensor]()) { kept, key in
                kept[key] = edit(key, try weights.tensor(key))
            }
            try SafeTensorsFile.write(kept, to: folder.appendingPathComponent("model.safetensors"))
            XCTAssertThrowsError(try Fusion(named: folder.path), model) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.contains("model.safetensors"), message)
                XCTAssertTrue(message.contains("Train it again with 'braid train fusion'"), message)
            }
        }
    }

    func testACaptionModelLearnsItsCaptionsAndWritesOnlyThem() async throws {
        let (data, records) = try pairs(perClass: 24)
        let folder = try makeTemporaryFolder(self).appendingPathComponent("captions").path
        var captionData = data
        captionData.records = records.path
        // The captions, not the labels, are what a caption model learns: drop the labels.
        let text = try String(contentsOf: records, encoding: .utf8)
            .replacingOccurrences(of: #","label":"[01]""#, with: "", options: .regularExpression)
        try text.write(to: records, atomically: true, encoding: .utf8)
        var options = options(CaptionTraining.defaultOptions, epochs: 8)
        options.learningRate = 3e-3
        let record = try await TrainingRun.start(
            .caption(encoders: PartEncoders.Names(), closed: true), data: captionData, options: options, folder: folder,
            environment: environment)
        let losses = record.history.map { $0.training["loss"] ?? .nan }
        XCTAssertLessThan(losses.last ?? .nan, 0.5 * (losses.first ?? .nan), "the loss falls: \(losses)")
        XCTAssertEqual(record.labels.count, 4, "four distinct captions")
        let tokenizer = try JSONDecoder().decode(
            CaptionVocabulary.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/tokenizer.json")))
        XCTAssertTrue(tokenizer.words.contains("humming"))
        let evaluation = try await CaptionEvaluation.evaluate(
            CaptionModel(named: folder), on: captionData, beam: 2, decodeJobs: 2)
        XCTAssertEqual(evaluation.examples, 72)
        XCTAssertEqual(evaluation.byParts["image"]?.count, 24)
        XCTAssertGreaterThan(evaluation.exact, 0.5, "most training captions come back: \(evaluation.mistakes.prefix(3))")
        // Trained with `closed`, it writes only its training captions, even where it is wrong.
        let configuration = try JSONDecoder().decode(
            CaptionConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/config.json")))
        let captions = Set(try XCTUnwrap(configuration.captions))
        XCTAssertEqual(captions, Set(record.labels))
        for mistake in evaluation.mistakes { XCTAssertTrue(captions.contains(mistake.got), mistake.got) }
    }
}
