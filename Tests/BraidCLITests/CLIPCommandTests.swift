import Foundation
import XCTest

/// CLIP through the command line, on the tiny seeded checkpoint in `Fixtures/clip/tiny` named by its path: images
/// and texts embedded into one space, zero-shot `braid classify`, `braid search` with a text and with an image,
/// and a checkpoint that will not load failing before any item.
final class CLIPCommandTests: XCTestCase {
    private let model = "Fixtures/clip/tiny"
    private let images = "Fixtures/clip/images"

    private struct Reference: Decodable {
        struct Row: Decodable {
            let path: String?
            let text: String?
            let embedding: [Double]
        }

        struct ZeroShot: Decodable {
            let labels: [String]
            let template: String
            let probabilities: [[Double]]
        }

        let images: [Row]
        let texts: [Row]
        let zero_shot: ZeroShot
    }

    private func reference() throws -> Reference {
        try JSONDecoder().decode(
            Reference.self,
            from: Data(contentsOf: BraidProcess.packageRoot.appending(path: "Fixtures/reference/clip/tiny.json")))
    }

    func test_embed_puts_images_and_texts_in_the_space_transformers_puts_them() throws {
        let reference = try reference()
        let imageRun = try BraidProcess.run(["embed", "--quiet", "--encoder", "image=\(model)", images])
        XCTAssertEqual(imageRun.status, 0, imageRun.stderrText)
        let records = try imageRun.stdoutLines.map(jsonObject)
        for row in reference.images where row.path?.hasPrefix(images) == true {
            let name = try XCTUnwrap(row.path).split(separator: "/").last.map(String.init)
            let record = try XCTUnwrap(records.first { $0["id"] as? String == name }, "no line for \(name ?? "")")
            XCTAssertEqual(record["encoder"] as? String, model)
            XCTAssertEqual(record["dim"] as? Int, 16)
            XCTAssertGreaterThanOrEqual(cosine(try XCTUnwrap(record["embedding"] as? [Double]), row.embedding), 0.99999)
        }
        let texts = reference.texts.compactMap(\.text).filter { !$0.contains("\n") && !$0.isEmpty }
        let textRun = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=\(model)", "--lines", "-"],
            input: Data(texts.joined(separator: "\n").utf8))
        XCTAssertEqual(textRun.status, 0, textRun.stderrText)
        XCTAssertEqual(textRun.stdoutLines.count, texts.count)
        for (line, text) in zip(textRun.stdoutLines, texts) {
            let expected = try XCTUnwrap(reference.texts.first { $0.text == text }).embedding
            let vector = try XCTUnwrap(try jsonObject(line)["embedding"] as? [Double])
            XCTAssertGreaterThanOrEqual(cosine(vector, expected), 0.99999, text)
        }
    }

    func test_classify_with_labels_is_zero_shot_with_the_probabilities_transformers_gives() throws {
        let reference = try reference()
        let run = try BraidProcess.run(
            ["classify", model, images, "--quiet", "--labels", reference.zero_shot.labels.joined(separator: ","),
             "--template", reference.zero_shot.template, "--top", "5"])
        XCTAssertEqual(run.status, 0, run.stderrText)
        let records = try run.stdoutLines.map(jsonObject)
        XCTAssertEqual(records.count, 5)
        for (row, expected) in zip(reference.images, reference.zero_shot.probabilities) {
            guard let path = row.path, path.hasPrefix(images) else { continue }
            let name = String(path.split(separator: "/").last ?? "")
            let record = try XCTUnwrap(records.first { $0["id"] as? String == name })
            let top = try XCTUnwrap(record["top"] as? [[String: Any]])
            for entry in top {
                let label = try XCTUnwrap(entry["label"] as? String)
                let index = try XCTUnwrap(reference.zero_shot.labels.firstIndex(of: label))
                XCTAssertEqual(try XCTUnwrap(entry["p"] as? Double), expected[index], accuracy: 1e-4, "\(name) \(label)")
            }
            let best = reference.zero_shot.labels[expected.indices.max { expected[$0] < expected[$1] }!]
            XCTAssertEqual(record["label"] as? String, best, name)
        }
    }

    func test_classify_refuses_labels_without_clip_and_clip_without_labels() throws {
        let noCLIP = try BraidProcess.run(["classify", "handwritten-digits", images, "--labels", "a,b"])
        XCTAssertEqual(noCLIP.status, 1)
        XCTAssertTrue(noCLIP.stderrText.contains("'--labels' needs a CLIP model"), noCLIP.stderrText)
        XCTAssertTrue(noCLIP.stdout.isEmpty)
        let noLabels = try BraidProcess.run(["classify", model, images])
        XCTAssertEqual(noLabels.status, 1)
        XCTAssertTrue(noLabels.stderrText.contains("give the labels"), noLabels.stderrText)
    }

    func test_search_answers_a_text_and_an_image_over_an_index_of_images() throws {
        let scratch = try ScratchFolder()
        let index = scratch.path("index.jsonl")
        let embedded = try BraidProcess.run(["embed", "--quiet", "--encoder", "image=\(model)", images])
        try embedded.stdout.write(to: URL(fileURLWithPath: index))
        let records = try embedded.stdoutLines.map(jsonObject)
        func ranked(_ query: [Double]) throws -> [String] {
            try records.map { (id: try XCTUnwrap($0["id"] as? String), score: cosine(query, try XCTUnwrap($0["embedding"] as? [Double]))) }
                .sorted { $0.score > $1.score }.prefix(3).map(\.id)
        }
        // A text: its vector from `braid embed`, ranked here by brute force.
        let text = "a photo of a sunset."
        let textLine = try BraidProcess.run(
            ["embed", "--quiet", "--encoder", "text=\(model)", "--lines", "-"], input: Data(text.utf8))
        let textVector = try XCTUnwrap(try jsonObject(try XCTUnwrap(textLine.stdoutLines.first))["embedding"] as? [Double])
        let byText = try BraidProcess.run(["search", index, text, "--top", "3"])
        XCTAssertEqual(byText.status, 0, byText.stderrText)
        XCTAssertEqual(try byText.stdoutLines.map { try jsonObject($0)["id"] as? String }, try ranked(textVector))
        // An image: it finds itself first.
        let byImage = try BraidProcess.run(["search", index, "\(images)/grey-64x48.png", "--top", "3"])
        XCTAssertEqual(byImage.status, 0, byImage.stderrText)
        XCTAssertEqual(try jsonObject(try XCTUnwrap(byImage.stdoutLines.first))["id"] as? String, "grey-64x48.png")
    }

    func test_a_checkpoint_that_will_not_load_fails_before_any_item_naming_the_file() throws {
        let scratch = try ScratchFolder()
        let broken = scratch.url.appending(path: "clip")
        try FileManager.default.copyItem(at: BraidProcess.packageRoot.appending(path: model), to: broken)
        try FileManager.default.removeItem(at: broken.appending(path: "merges.txt"))
        let run = try BraidProcess.run(["embed", "--encoder", "image=\(broken.path)", images])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stdout.isEmpty)
        XCTAssertTrue(run.stderrText.contains("\(broken.path)/merges.txt: missing"), run.stderrText)
    }
}
