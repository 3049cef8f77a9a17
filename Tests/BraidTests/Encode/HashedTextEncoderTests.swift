import Foundation
import XCTest

@testable import Braid

final class HashedTextEncoderTests: XCTestCase {
    private let encoder = HashedTextEncoder()

    private func embed(_ string: String) throws -> [Float] {
        try encoder.encode(.text(Text(string: string, encoding: .utf8)))
    }

    private struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let nonzero: [String: Float]
        }
        let dimension: Int
        let cases: [Case]
    }

    /// The vectors of a second implementation of the documented recipe (scripts/make-hashed-text-reference.py).
    func test_given_reference_sentences_then_vectors_match_independent_python_implementation() throws {
        let data = try Data(contentsOf: EncodeTestSupport.fixture("hashed-text-reference.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        XCTAssertEqual(reference.dimension, encoder.dimension)
        XCTAssertEqual(reference.cases.count, 3)
        for referenceCase in reference.cases {
            let vector = try embed(referenceCase.text)
            var expected = [Float](repeating: 0, count: reference.dimension)
            for (index, value) in referenceCase.nonzero { expected[try XCTUnwrap(Int(index))] = value }
            for index in vector.indices {
                XCTAssertEqual(
                    vector[index], expected[index], accuracy: 1e-6, "'\(referenceCase.text)' bucket \(index)")
            }
        }
    }

    func test_given_texts_then_vectors_are_unit_length_and_identical_across_runs() throws {
        for text in ["the cat sat on the mat", "Zürich 2026", "x"] {
            let first = try embed(text)
            XCTAssertEqual(first.count, 512)
            XCTAssertEqual(EncodeTestSupport.length(first), 1, accuracy: 1e-5)
            XCTAssertEqual(try embed(text), first)
        }
    }

    func test_given_paraphrase_and_unrelated_sentence_then_paraphrase_scores_higher() throws {
        let anchor = try embed("the cat sat on the mat")
        let paraphrase = try embed("a cat sat on a mat")
        let unrelated = try embed("quarterly revenue grew by four percent")
        let close = EncodeTestSupport.cosine(anchor, paraphrase)
        let far = EncodeTestSupport.cosine(anchor, unrelated)
        XCTAssertGreaterThan(close, 0.5)
        XCTAssertLessThan(abs(far), 0.2)
    }

    func test_given_case_width_and_punctuation_variants_then_vectors_are_equal() throws {
        let plain = try embed("the first cafe")
        XCTAssertEqual(try embed("THE  First, cafe!"), plain)
        // NFKC folds full-width letters and the "ﬁ" ligature.
        XCTAssertEqual(try embed("ｔｈｅ ﬁrst ｃａｆｅ"), plain)
    }

    func test_given_word_order_change_then_only_pairs_differ() throws {
        let forward = try embed("dog bites man")
        let backward = try embed("man bites dog")
        // Words and n-grams are shared, the pairs are not: two of three equally weighted families agree.
        XCTAssertEqual(EncodeTestSupport.cosine(forward, backward), 2.0 / 3, accuracy: 0.02)
    }

    func test_given_text_without_letters_or_digits_then_encode_throws() {
        for text in ["", "   ", "?!… —"] {
            XCTAssertThrowsError(try embed(text)) { error in
                XCTAssertEqual(
                    error as? EncodeError,
                    .nothingToEncode(encoder: "hashed", reason: "the text has no letters or digits"))
            }
        }
    }

    func test_given_batch_then_vectors_follow_input_order() throws {
        let texts = ["alpha", "beta", "gamma"]
        let batch = try encoder.encode(texts.map { .text(Text(string: $0, encoding: .utf8)) })
        XCTAssertEqual(batch, try texts.map(embed))
    }
}
