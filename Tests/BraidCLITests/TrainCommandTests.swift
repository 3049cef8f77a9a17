import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// `braid train`, `classify` and `eval` through the binary, on data made at test time.
final class TrainCommandTests: XCTestCase {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("braid-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// 28×28 bars, horizontal (`h/`) or vertical (`v/`), and a corrupt PNG among them.
    private func barData(perClass: Int) throws -> URL {
        let data = try folder()
        for index in 0..<perClass {
            for (label, horizontal) in [("h", true), ("v", false)] {
                var pixels = [UInt8](repeating: 0, count: 28 * 28)
                let position = 6 + (index * 7) % 16
                for along in 4..<24 {
                    for across in position..<position + 3 {
                        pixels[horizontal ? across * 28 + along : along * 28 + across] = 220
                    }
                }
                let png = try PNGEncoder.encode(Image(width: 28, height: 28, channels: 1, bytes: pixels))
                try FileManager.default.createDirectory(
                    at: data.appendingPathComponent(label), withIntermediateDirectories: true)
                try Data(png).write(to: data.appendingPathComponent("\(label)/\(index).png"))
            }
        }
        try Data("\u{89}PNG\r\n\u{1A}\n broken".utf8).write(to: data.appendingPathComponent("h/corrupt.png"))
        return data
    }

    private func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testTrainClassifyEvalAndEmbedWithTheTrainedModel() throws {
        let data = try barData(perClass: 32)
        let model = try folder().appendingPathComponent("bars").path
        let trained = try BraidProcess.run([
            "train", "classifier", "--modality", "image", "--data", data.path, "--out", model, "--epochs", "6",
            "--batch-size", "8", "--no-augment", "--quiet",
        ])
        XCTAssertEqual(trained.status, 0, trained.stderrText)
        XCTAssertTrue(trained.stderrText.contains("h/corrupt.png"), "the corrupt file is named: \(trained.stderrText)")
        let summary = try json(try XCTUnwrap(trained.stdoutLines.first))
        XCTAssertEqual(summary["model"] as? String, model)
        for file in ["config.json", "model.safetensors", "training.json", "checkpoint.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: model + "/" + file), file)
        }
        let record = try JSONDecoder().decode(
            TrainingRecord.self, from: Data(contentsOf: URL(fileURLWithPath: model + "/training.json")))
        XCTAssertEqual(record.examples.failed, 1, "the corrupt file is counted")

        let classified = try BraidProcess.run(["classify", model, data.appendingPathComponent("v").path, "--top", "2"])
        XCTAssertEqual(classified.status, 0, classified.stderrText)
        XCTAssertEqual(classified.stdoutLines.count, 32)
        let first = try json(classified.stdoutLines[0])
        XCTAssertEqual(first["id"] as? String, "0.png")
        XCTAssertEqual(first["label"] as? String, "v")
        XCTAssertEqual((first["top"] as? [[String: Any]])?.map { $0["label"] as? String }, ["v", "h"])

        let evaluated = try BraidProcess.run(["eval", model, "--data", data.path, "--quiet"])
        XCTAssertEqual(evaluated.status, 1, "the corrupt file fails the evaluation's exit code")
        let report = try json(try XCTUnwrap(evaluated.stdoutLines.first))
        XCTAssertEqual(report["examples"] as? Int, 64)
        XCTAssertEqual(report["failed"] as? Int, 1)
        XCTAssertGreaterThanOrEqual(report["accuracy"] as? Double ?? 0, 0.9)
        XCTAssertEqual((report["confusion"] as? [[Int]])?.joined().reduce(0, +), 64)

        // Every bar hidden: all 64 inputs are the same blank field, so one label for all, right on half of them.
        let hidden = try BraidProcess.run(["eval", model, "--data", data.path, "--corrupt", "occlusion=1", "--quiet"])
        let hiddenReport = try json(try XCTUnwrap(hidden.stdoutLines.first))
        XCTAssertEqual(hiddenReport["accuracy"] as? Double, 0.5)
        XCTAssertEqual((hiddenReport["corruption"] as? [String: Any])?["image_occlusion"] as? Double, 1)
        let noisy = try BraidProcess.run([
            "eval", model, "--data", data.path, "--corrupt", "image-noise=0.3", "--quiet",
        ])
        let noisyAgain = try BraidProcess.run(
            ["eval", model, "--data", data.path, "--corrupt", "image-noise=0.3", "--quiet", "--jobs", "1"])
        XCTAssertEqual(noisy.stdout, noisyAgain.stdout, "the same noise whatever the decoding order")
        // A corruption the classifier's modality cannot take is a usage error, before any item is read.
        for (corruption, problem) in [
            ("audio-snr=0", "audio-snr does not apply to an image classifier"),
            ("drop=image", "drop applies to a fusion model's pairs"),
        ] {
            let refused = try BraidProcess.run(["eval", model, "--data", data.path, "--corrupt", corruption])
            XCTAssertEqual(refused.status, 64, corruption)
            XCTAssertTrue(refused.stderrText.contains(problem), refused.stderrText)
        }
        let notAClassifier = try BraidProcess.run(
            ["eval", "digits-ae", "--data", data.path, "--corrupt", "image-noise=0.3"])
        XCTAssertEqual(notAClassifier.status, 64)
        XCTAssertTrue(
            notAClassifier.stderrText.contains("not a classifier or a fusion model"), notAClassifier.stderrText)

        let embedded = try BraidProcess.run([
            "embed", "--encoder", "image=\(model)", data.appendingPathComponent("h/0.png").path,
        ])
        XCTAssertEqual(embedded.status, 0, embedded.stderrText)
        let embedding = try json(try XCTUnwrap(embedded.stdoutLines.first))
        XCTAssertEqual(embedding["dim"] as? Int, 128)
        XCTAssertEqual(embedding["encoder"] as? String, model)
    }

    func testKilledRunResumesToTheUninterruptedWeights() throws {
        let data = try barData(perClass: 40)
        let root = try folder()
        let arguments = [
            "train", "classifier", "--modality", "image", "--data", data.path, "--epochs", "20", "--batch-size", "8",
            "--checkpoint-steps", "3", "--threads", "2", "--quiet",
        ]
        let straight = root.appendingPathComponent("straight").path
        XCTAssertEqual(try BraidProcess.run(arguments + ["--out", straight]).status, 0)

        let killed = root.appendingPathComponent("killed").path
        let braid = BraidProcess(arguments + ["--out", killed])
        try braid.process.run()
        let collected = braid.collectOutputs()
        // Kill it once a checkpoint part-way through the first epoch exists, mid-step or mid-write.
        let checkpoint = killed + "/checkpoint.safetensors"
        while !FileManager.default.fileExists(atPath: checkpoint) && braid.process.isRunning { usleep(2000) }
        usleep(150_000)
        kill(braid.process.processIdentifier, SIGKILL)
        braid.process.waitUntilExit()
        _ = collected()
        XCTAssertEqual(braid.process.terminationReason, .uncaughtSignal, "the run ended before it was killed")

        let resumed = try BraidProcess.run(["train", "classifier", "--resume", killed, "--threads", "2", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderrText)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: straight + "/model.safetensors")),
            try Data(contentsOf: URL(fileURLWithPath: killed + "/model.safetensors")),
            "the resumed run's weights differ from the uninterrupted run's")
        // The optimiser's state too (the checkpoint's metadata records times, which differ).
        let a = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: straight + "/checkpoint.safetensors"))
        let b = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: killed + "/checkpoint.safetensors"))
        XCTAssertEqual(a.keys, b.keys)
        for key in a.keys { XCTAssertEqual(try a.tensor(key).scalars, try b.tensor(key).scalars, key) }
    }

    func testCtrlCStopsAtAStepAndSaysHowToResume() throws {
        let data = try barData(perClass: 40)
        let out = try folder().appendingPathComponent("run").path
        let braid = BraidProcess([
            "train", "classifier", "--modality", "image", "--data", data.path, "--epochs", "50", "--batch-size", "8",
            "--checkpoint-steps", "2", "--quiet", "--out", out,
        ])
        try braid.process.run()
        let collected = braid.collectOutputs()
        while !FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") && braid.process.isRunning {
            usleep(2000)
        }
        kill(braid.process.processIdentifier, SIGINT)
        braid.process.waitUntilExit()
        let (_, errors) = collected()
        XCTAssertEqual(braid.process.terminationStatus, 130)
        XCTAssertTrue(
            String(decoding: errors, as: UTF8.self).contains("--resume \(out)"), String(decoding: errors, as: UTF8.self)
        )
    }

    func testAnAugmentationFileChangesTheSettingsItNamesAndABadOneIsRefused() throws {
        let data = try barData(perClass: 8)
        let settings = try folder()
        let changes = settings.appendingPathComponent("erasing.json")
        try Data(#"{"image": {"erasing_probability": 0.5, "erasing_area": [0.02, 0.25]}}"#.utf8).write(to: changes)
        let model = try folder().appendingPathComponent("run").path
        let trained = try BraidProcess.run([
            "train", "classifier", "--modality", "image", "--data", data.path, "--out", model, "--epochs", "1",
            "--batch-size", "4", "--augmentation", changes.path, "--quiet",
        ])
        XCTAssertEqual(trained.status, 0, trained.stderrText)
        let record = try JSONDecoder().decode(
            TrainingRecord.self, from: Data(contentsOf: URL(fileURLWithPath: model + "/training.json")))
        var expected = Augmentation()
        expected.image.erasingProbability = 0.5
        expected.image.erasingArea = [0.02, 0.25]
        XCTAssertEqual(record.options.augmentation, expected, "the run records the settings it trained with")

        let typo = settings.appendingPathComponent("typo.json")
        try Data(#"{"image": {"erase_probability": 0.5}}"#.utf8).write(to: typo)
        let refused = try BraidProcess.run([
            "train", "classifier", "--modality", "image", "--data", data.path, "--out", model + "-typo",
            "--augmentation", typo.path, "--quiet",
        ])
        XCTAssertEqual(refused.status, 64, refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains(typo.path), refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains("unknown setting 'image.erase_probability'"), refused.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model + "-typo"), "nothing is trained")
    }

    func testAFusionModelCannotTrainWithoutDamagedPairs() throws {
        let out = try folder().appendingPathComponent("run").path
        let refused = try BraidProcess.run([
            "train", "fusion", "--architecture", "late", "--records", "pairs.jsonl", "--out", out, "--no-augment",
        ])
        XCTAssertEqual(refused.status, 64, refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains("'--no-augment' does not apply to fusion"), refused.stderrText)
        XCTAssertTrue(refused.stderrText.contains("--augmentation FILE"), refused.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is trained")
    }

    func testBadDataAndBadModelsAreClearErrors() throws {
        let empty = try folder()
        let out = try folder().appendingPathComponent("run").path
        let nothing = try BraidProcess.run([
            "train", "classifier", "--modality", "image", "--data", empty.path, "--out", out,
        ])
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderrText.contains("no examples"), nothing.stderrText)

        let missingFlags = try BraidProcess.run(["train", "classifier", "--data", empty.path, "--out", out])
        XCTAssertNotEqual(missingFlags.status, 0)
        XCTAssertTrue(missingFlags.stderrText.contains("--modality"), missingFlags.stderrText)

        let unknown = try BraidProcess.run(["classify", "no-such-model", empty.path])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderrText.contains("no-such-model"), unknown.stderrText)

        // A model folder whose weights lack a tensor: the error names the file and the tensor.
        let data = try barData(perClass: 8)
        let model = try folder().appendingPathComponent("small").path
        XCTAssertEqual(
            try BraidProcess.run([
                "train", "classifier", "--modality", "image", "--data", data.path, "--out", model, "--epochs", "1",
                "--batch-size", "4", "--quiet",
            ]).status, 0)
        let weights = URL(fileURLWithPath: model + "/model.safetensors")
        let file = try SafeTensorsFile(contentsOf: weights)
        var tensors: [String: Tensor] = [:]
        for key in file.keys where key != "head.classifier.weight" { tensors[key] = try file.tensor(key).copied() }
        try SafeTensorsFile.write(tensors, to: weights)
        let broken = try BraidProcess.run(["classify", model, data.appendingPathComponent("h/0.png").path])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderrText.contains("model.safetensors"), broken.stderrText)
        XCTAssertTrue(broken.stderrText.contains("head.classifier.weight"), broken.stderrText)

        // Labels the model does not know: each item is an error, and the exit code says so.
        let other = try folder()
        try FileManager.default.copyItem(
            at: data.appendingPathComponent("h"), to: other.appendingPathComponent("diagonal"))
        let foreign = try BraidProcess.run(["eval", "handwritten-digits", "--data", other.path, "--quiet"])
        XCTAssertEqual(foreign.status, 1)
        XCTAssertTrue(foreign.stderrText.contains("label 'diagonal' is not one of the model's"), foreign.stderrText)
    }
}
