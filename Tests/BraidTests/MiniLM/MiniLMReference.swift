import Braid
import Foundation
import XCTest

/// The peer reference for all-MiniLM-L6-v2 (`shared/reference/minilm_reference.jsonl`, beside the
/// clone) and the model files the tests compare against it.
enum MiniLMReference {
    struct Row: Decodable {
        let text: String
        let tokenIDs: [Int32]
        let untruncatedCount: Int
        let truncated: Bool
        let embedding: [Float]

        enum CodingKeys: String, CodingKey {
            case text, truncated, embedding
            case tokenIDs = "token_ids"
            case untruncatedCount = "n_tokens_untruncated"
        }
    }

    /// The package root: four levels above this file (Tests/BraidTests/MiniLM/…).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The reference rows; skips the calling test on a clone without `../shared` beside it.
    static func rows() throws -> [Row] {
        let url = packageRoot.appending(path: "../shared/reference/minilm_reference.jsonl").standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is missing (a clone without ../shared): the MiniLM parity is not measured")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try JSONDecoder().decode(Row.self, from: Data(line.utf8))
        }
    }

    /// The fetched model (`scripts/fetch-models`); skips the calling test when it is absent.
    static func modelFiles() throws -> ModelFiles {
        let folder = ModelFiles.cached("minilm")
        do {
            return try ModelFiles(folder: folder)
        } catch {
            throw XCTSkip("all-MiniLM-L6-v2 is not in \(folder.path) (run scripts/fetch-models): \(error)")
        }
    }

    /// Loading the weights takes a moment; every test shares one encoder.
    nonisolated(unsafe) private static var sharedEncoder: MiniLMEncoder?

    static func encoder() throws -> MiniLMEncoder {
        if let sharedEncoder { return sharedEncoder }
        let encoder = try MiniLMEncoder(files: modelFiles())
        sharedEncoder = encoder
        return encoder
    }
}
