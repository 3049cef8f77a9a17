import Braid
import Foundation
import XCTest

final class ModelFilesTests: XCTestCase {
    func test_given_complete_folder_when_resolved_then_every_file_is_found() throws {
        let folder = try makeFolder([
            "config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json",
            "1_Pooling/config.json",
        ])
        let files = try ModelFiles(folder: folder)
        XCTAssertEqual(files.pooling.lastPathComponent, "config.json")
        XCTAssertEqual(files.pooling.deletingLastPathComponent().lastPathComponent, "1_Pooling")
        XCTAssertEqual(files.weights.lastPathComponent, "model.safetensors")
    }

    func test_given_folder_without_tokenizer_when_resolved_then_error_names_the_missing_file() throws {
        let folder = try makeFolder(["config.json", "model.safetensors"])
        XCTAssertThrowsError(try ModelFiles(folder: folder)) { error in
            let description = "\(error)"
            XCTAssertTrue(description.hasPrefix(folder.appending(path: "tokenizer.json").path), description)
            XCTAssertTrue(description.contains("missing"), description)
        }
    }

    func test_given_modules_json_when_resolved_then_pooling_folder_comes_from_it() throws {
        let folder = try makeFolder([
            "config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json",
            "pool/config.json",
        ])
        let modules =
            #"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},"#
            + #"{"idx": 1, "name": "1", "path": "pool", "type": "sentence_transformers.models.Pooling"}]"#
        try Data(modules.utf8).write(to: folder.appending(path: "modules.json"))
        XCTAssertEqual(try ModelFiles(folder: folder).pooling.deletingLastPathComponent().lastPathComponent, "pool")
    }

    func test_cache_root_is_braid_models_when_set_else_home_cache() {
        XCTAssertEqual(ModelFiles.cacheRoot(environment: ["BRAID_MODELS": "/models"]).path, "/models")
        XCTAssertTrue(ModelFiles.cacheRoot(environment: [:]).path.hasSuffix("/.cache/braid/models"))
        XCTAssertEqual(ModelFiles.cached("minilm", environment: ["BRAID_MODELS": "/models"]).path, "/models/minilm")
    }

    func test_given_models_directory_without_minilm_when_registry_built_then_hashed_stays_default() throws {
        let empty = try makeFolder([])
        let registry = EncoderRegistry.withModels(EncoderContext(modelsDirectory: empty))
        XCTAssertEqual(registry.defaultName(for: .text), "hashed")
        XCTAssertNotNil(registry.registration(named: "minilm", for: .text))
        XCTAssertThrowsError(
            try registry.makeEncoder(
                for: .text, choices: [.text: "minilm"],
                context: EncoderContext(modelsDirectory: empty)))
    }

    /// A temporary folder holding empty files at `paths`.
    private func makeFolder(_ paths: [String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "braid-model-\(UUID().uuidString)")
        for path in paths {
            let file = folder.appending(path: path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: file)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}
