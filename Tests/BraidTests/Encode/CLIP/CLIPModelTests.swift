import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// The tiny seeded CLIP checkpoint against transformers' `CLIPModel` on the same files: image and text features,
/// logit scale, zero-shot probabilities; and checkpoints that are wrong in each way a user's can be.
final class CLIPModelTests: XCTestCase {
    private func checkpoint() throws -> CLIPCheckpoint {
        try CLIPCheckpoint(folder: CLIPReference.folder)
    }

    func test_given_tiny_checkpoint_when_images_embedded_then_cosine_to_transformers_at_least_0_99999() throws {
        let reference = try CLIPReference.load()
        let encoder = CLIPEncoder(name: "clip", modality: .image, checkpoint: try checkpoint())
        let images = try reference.images.map { try CLIPReference.image($0.path) }
        let vectors = try encoder.embed(images: images)
        for (row, vector) in zip(reference.images, vectors) {
            XCTAssertGreaterThanOrEqual(EncodeTestSupport.cosine(vector, row.embedding), 0.99999, row.path)
            XCTAssertEqual(EncodeTestSupport.length(vector), 1, accuracy: 1e-5)
        }
        // One image alone gives the vector it gets in a batch.
        let alone = try encoder.embed(images: [images[1]])[0]
        XCTAssertGreaterThanOrEqual(EncodeTestSupport.cosine(alone, vectors[1]), 0.999_999)
    }

    func test_given_tiny_checkpoint_when_texts_embedded_then_cosine_to_transformers_at_least_0_99999() throws {
        let reference = try CLIPReference.load()
        let encoder = CLIPEncoder(name: "clip", modality: .text, checkpoint: try checkpoint())
        let vectors = encoder.embed(texts: reference.texts.map(\.text))
        for (row, vector) in zip(reference.texts, vectors) {
            XCTAssertGreaterThanOrEqual(
                EncodeTestSupport.cosine(vector, row.embedding), 0.99999, "text \(row.text.debugDescription)")
        }
    }

    func test_given_tiny_checkpoint_then_logit_scale_and_zero_shot_probabilities_match_transformers() throws {
        let reference = try CLIPReference.load()
        let checkpoint = try checkpoint()
        XCTAssertEqual(checkpoint.model.logitScale, reference.logit_scale, accuracy: 1e-4)
        let classifier = try CLIPZeroShotClassifier(
            name: "tiny", checkpoint: checkpoint, labels: reference.zero_shot.labels,
            template: reference.zero_shot.template)
        let media = try reference.images.map { Media.image(try CLIPReference.image($0.path)) }
        let probabilities = try classifier.probabilities(for: media, ids: reference.images.map(\.path))
        for (row, (got, expected)) in zip(reference.images, zip(probabilities, reference.zero_shot.probabilities)) {
            for (p, q) in zip(got, expected) { XCTAssertEqual(p, q, accuracy: 1e-4, row.path) }
        }
    }

    func test_a_video_is_the_mean_of_its_frames_in_the_image_space() throws {
        let checkpoint = try checkpoint()
        let images = CLIPEncoder(name: "clip", modality: .image, checkpoint: checkpoint)
        let videos = CLIPEncoder(name: "clip", modality: .video, checkpoint: checkpoint)
        let path = Fixtures.path("video/h264-aac.mp4")
        var options = EmbedJob.defaultDecoding
        options.video.sampling = FrameSampling(.fps(30), maxFrames: 4, spreadOverDuration: true)
        guard case .video(let video) = try MediaDecoder(options: options).decode(
            Item(id: "clip", source: .file(path: path)))
        else { return XCTFail("\(path) is not a video") }
        XCTAssertGreaterThan(video.frames.count, 1)
        let frames = try images.embed(images: video.frames.map(\.image))
        var mean = frames.dropFirst().reduce(frames[0]) { zip($0, $1).map(+) }
        let norm = EncodeTestSupport.length(mean)
        mean = mean.map { $0 / Float(norm) }
        let vector = try videos.encode(.video(video))
        XCTAssertGreaterThanOrEqual(EncodeTestSupport.cosine(vector, mean), 0.999_999)
    }

    // MARK: - Bad checkpoints: a clear error naming the file (and the tensor), before any item

    func test_a_missing_tensor_is_named_with_its_file() throws {
        let folder = try copyOfTinyCheckpoint()
        try rewriteWeights(in: folder) { $0["text_model.final_layer_norm.weight"] = nil }
        assertLoadFails(folder, saying: ["model.safetensors", "text_model.final_layer_norm.weight"])
    }

    func test_a_tensor_of_the_wrong_shape_is_named_with_both_shapes() throws {
        let folder = try copyOfTinyCheckpoint()
        try rewriteWeights(in: folder) { $0["visual_projection.weight"] = Tensor.zeros([16, 31]) }
        assertLoadFails(folder, saying: ["model.safetensors", "visual_projection.weight", "[16, 31]", "[16, 32]"])
    }

    func test_an_unknown_architecture_is_refused_by_config_json() throws {
        let folder = try copyOfTinyCheckpoint()
        let url = folder.appending(path: "config.json")
        let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"clip\"", with: "\"siglip\"")
        try text.write(to: url, atomically: true, encoding: .utf8)
        assertLoadFails(folder, saying: ["config.json", "model_type 'siglip'"])
    }

    func test_a_folder_with_only_pytorch_model_bin_says_how_to_convert_it() throws {
        let folder = try copyOfTinyCheckpoint()
        try FileManager.default.removeItem(at: folder.appending(path: "model.safetensors"))
        try Data("not read".utf8).write(to: folder.appending(path: "pytorch_model.bin"))
        assertLoadFails(folder, saying: ["pytorch_model.bin", "safe_serialization=True"])
    }

    func test_a_crop_the_vision_tower_cannot_take_is_refused() throws {
        let folder = try copyOfTinyCheckpoint()
        let url = folder.appending(path: "preprocessor_config.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json["crop_size"] = ["height": 24, "width": 24]
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        assertLoadFails(folder, saying: ["preprocessor_config.json", "24×24", "32×32"])
    }

    private func assertLoadFails(_ folder: URL, saying parts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try CLIPCheckpoint(folder: folder), line: line) { error in
            for part in parts {
                XCTAssertTrue("\(error)".contains(part), "'\(error)' does not say \(part)", line: line)
            }
        }
    }

    private func copyOfTinyCheckpoint() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "braid-clip-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: CLIPReference.folder, to: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    private func rewriteWeights(in folder: URL, _ change: (inout [String: Tensor]) -> Void) throws {
        let url = folder.appending(path: "model.safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        var tensors = try Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, try file.tensor($0)) })
        change(&tensors)
        try SafeTensorsFile.write(tensors, to: url)
    }
}
