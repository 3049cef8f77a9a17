import Foundation
import XCTest

@testable import Braid

/// CLIP's tokenizer against transformers' `CLIPTokenizer` (the Python one, without ftfy), on the real 49,408-token
/// vocabulary and on the tiny checkpoint's.
final class CLIPTokenizerTests: XCTestCase {
    /// `scripts/fetch-models clip-tokenizer` makes it from the open_clip wheel's vocabulary.
    private func realTokenizer() throws -> CLIPTokenizer {
        let folder = ModelFiles.cached("clip-tokenizer")
        let vocabulary = folder.appending(path: "vocab.json")
        guard FileManager.default.fileExists(atPath: vocabulary.path) else {
            throw XCTSkip("\(vocabulary.path) is missing: run scripts/fetch-models clip-tokenizer")
        }
        return try CLIPTokenizer(vocabulary: vocabulary, merges: folder.appending(path: "merges.txt"), maxLength: 77)
    }

    /// `Fixtures/encode/clip-tokenizer-reference.jsonl.gz` (scripts/make-clip-tokenizer-reference.py): hand-picked
    /// hard cases and 10,000 seeded mixtures of scripts, emoji, contractions, digits, punctuation and whitespace,
    /// each with the untruncated ids transformers gives. Braid keeps the first 75 and the end token, as
    /// `truncation=True, max_length=77` does.
    func test_given_10k_reference_texts_when_encoded_then_ids_equal_transformers() throws {
        struct Row: Decodable {
            let text: String
            let ids: [Int32]
        }
        let tokenizer = try realTokenizer()
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", Fixtures.path("encode/clip-tokenizer-reference.jsonl.gz")]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let lines = pipe.fileHandleForReading.readDataToEndOfFile().split(separator: UInt8(ascii: "\n"))
        gzip.waitUntilExit()
        XCTAssertGreaterThanOrEqual(lines.count, 10_000)
        var (mismatches, truncated) = (0, 0)
        for line in lines {
            let row = try JSONDecoder().decode(Row.self, from: Data(line))
            let expected = row.ids.count > 77 ? Array(row.ids.prefix(76)) + [49407] : row.ids
            truncated += row.ids.count > 77 ? 1 : 0
            let ids = tokenizer.encode(row.text)
            if ids != expected {
                mismatches += 1
                if mismatches <= 10 { XCTFail("text \(row.text.debugDescription): \(ids) != \(expected)") }
            }
        }
        XCTAssertEqual(mismatches, 0, "of \(lines.count) texts")
        XCTAssertGreaterThan(truncated, 100, "the reference exercises truncation")
    }

    func test_given_tiny_checkpoint_texts_when_encoded_then_ids_equal_transformers() throws {
        let reference = try CLIPReference.load()
        let folder = CLIPReference.folder
        let tokenizer = try CLIPTokenizer(
            vocabulary: folder.appending(path: "vocab.json"), merges: folder.appending(path: "merges.txt"), maxLength: 77)
        for row in reference.texts {
            XCTAssertEqual(tokenizer.encode(row.text), row.input_ids, "text \(row.text.debugDescription)")
        }
    }

    func test_special_tokens_are_matched_exactly_and_by_the_pattern_after_lowercasing() throws {
        let tokenizer = try realTokenizer()
        // Spelled exactly: the token itself. In capitals: lower-cased, then CLIP's pattern still matches it whole.
        XCTAssertEqual(tokenizer.encode("<|endoftext|>"), [49406, 49407, 49407])
        XCTAssertEqual(tokenizer.encode("<|ENDOFTEXT|>"), [49406, 49407, 49407])
        XCTAssertEqual(tokenizer.encode(""), [49406, 49407])
    }
}
