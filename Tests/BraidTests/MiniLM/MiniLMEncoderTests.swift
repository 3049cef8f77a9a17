import Foundation
import XCTest

@testable import Braid

final class MiniLMEncoderTests: XCTestCase {
    func test_given_reference_texts_when_embedded_as_one_batch_then_every_vector_matches_sentence_transformers()
        throws
    {
        let encoder = try MiniLMReference.encoder()
        let rows = try MiniLMReference.rows()
        let vectors = try encoder.encode(rows.map { .text(Text(string: $0.text, encoding: .utf8)) })
        XCTAssertEqual(vectors.count, rows.count)
        for (row, vector) in zip(rows, vectors) {
            XCTAssertEqual(vector.count, 384)
            XCTAssertGreaterThanOrEqual(EncodeTestSupport.cosine(vector, row.embedding), 0.99999, "text \(row.text.debugDescription)")
        }
    }

    func test_given_texts_when_embedded_alone_or_in_batches_on_two_threads_then_vectors_agree() throws {
        let files = try MiniLMReference.modelFiles()
        let texts = try MiniLMReference.rows().map(\.text)
        // Small passes, so the 40 texts spread over many forward passes on both threads.
        let parallel = try MiniLMEncoder(files: files, threads: 2, tokensPerBatch: 64).embed(texts)
        let encoder = try MiniLMReference.encoder()
        for (text, vector) in zip(texts, parallel) {
            let alone = encoder.embed([text])[0]
            XCTAssertGreaterThanOrEqual(EncodeTestSupport.cosine(alone, vector), 0.999_999, "text \(text.debugDescription)")
        }
    }

    func test_given_models_directory_with_minilm_when_registry_built_then_minilm_is_default_text_encoder() throws {
        let folder = try MiniLMReference.modelFiles().folder
        let context = EncoderContext(modelsDirectory: folder.deletingLastPathComponent())
        let registry = EncoderRegistry.withModels(context)
        XCTAssertEqual(registry.defaultName(for: .text), "minilm")
        XCTAssertEqual(try registry.makeEncoder(for: .text, context: context).name, "minilm")
    }

    func test_given_image_when_encoded_then_wrong_modality_error() throws {
        let encoder = try MiniLMReference.encoder()
        let image = Media.image(Image(width: 1, height: 1, channels: 1, bytes: [0]))
        XCTAssertThrowsError(try encoder.encode([image])) { error in
            XCTAssertEqual(error as? EncodeError, .wrongModality(encoder: "minilm", expected: .text, got: .image))
        }
    }

    func test_batches_hold_at_most_the_token_budget_and_keep_order() {
        XCTAssertEqual(MiniLMEncoder.batches([3, 4, 10, 0, 2, 2], tokensPerBatch: 7), [[0, 1], [2], [4, 5]])
    }
}
