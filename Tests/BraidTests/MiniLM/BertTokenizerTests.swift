import Foundation
import XCTest

@testable import Braid

final class BertTokenizerTests: XCTestCase {
    // MARK: - Against the reference tokenizer (HF `tokenizers`), with the real tokenizer.json

    func test_given_peer_reference_texts_when_encoded_then_ids_and_truncation_match() throws {
        let tokenizer = try realTokenizer()
        for row in try MiniLMReference.rows() {
            let encoding = tokenizer.encode(row.text)
            XCTAssertEqual(encoding.ids, row.tokenIDs, "text \(row.text.debugDescription)")
            XCTAssertEqual(encoding.untruncatedCount, row.untruncatedCount, "text \(row.text.debugDescription)")
            XCTAssertEqual(encoding.isTruncated, row.truncated, "text \(row.text.debugDescription)")
        }
    }

    /// Texts of our own (scripts/make-tokenizer-reference.py), encoded by HF `tokenizers`: added tokens
    /// inside text, characters of every class the normalizer and pre-tokenizer distinguish, words
    /// past 100 characters, truncation.
    func test_given_extra_reference_texts_when_encoded_then_ids_match_hf_tokenizers() throws {
        struct Row: Decodable {
            let text: String
            let token_ids: [Int32]
        }
        let tokenizer = try realTokenizer()
        let lines = try String(
            contentsOfFile: Fixtures.path("encode/minilm-tokenizer-reference.jsonl"), encoding: .utf8
        )
        .split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 100)
        for line in lines {
            let row = try JSONDecoder().decode(Row.self, from: Data(line.utf8))
            XCTAssertEqual(tokenizer.encode(row.text).ids, row.token_ids, "text \(row.text.debugDescription)")
        }
    }

    private func realTokenizer() throws -> BertTokenizer {
        try BertTokenizer(contentsOf: MiniLMReference.modelFiles().tokenizer, maxLength: 256)
    }

    // MARK: - Rules, on a small hand-made tokenizer.json (needs no model files)

    func test_given_word_when_tokenized_then_longest_prefix_then_longest_continuations() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["un", "##aff", "##able", "una", "##ff"])
        // Greedy longest match: "una" wins over "un" at the start, then "##ff", then "##able".
        XCTAssertEqual(tokenizer.encode("unaffable").ids, [1, id("una"), id("##ff"), id("##able"), 2])
    }

    func test_given_word_with_unknown_part_when_tokenized_then_whole_word_is_unknown() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["un", "##aff"])
        XCTAssertEqual(tokenizer.encode("unaffx un").ids, [1, 0, id("un"), 2])
    }

    func test_given_word_over_max_input_chars_when_tokenized_then_unknown() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["a", "##a"], maxInputCharsPerWord: 3)
        XCTAssertEqual(tokenizer.encode("aaa aaaa").ids, [1, id("a"), id("##a"), id("##a"), 0, 2])
    }

    func test_given_punctuation_and_whitespace_when_tokenized_then_punctuation_stands_alone() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["a", "b", "$", "!", "¿"])
        // `$` is a Unicode symbol but ASCII punctuation to BERT; U+3000 is whitespace; `¿` is Po.
        XCTAssertEqual(
            tokenizer.encode("a$b\u{3000}¿a!").ids, [1, id("a"), id("$"), id("b"), id("¿"), id("a"), id("!"), 2])
    }

    func test_given_accents_controls_and_capitals_when_normalized_then_stripped_deleted_and_lowercased() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["cafe", "ab"])
        // É decomposes to E + U+0301, the mark is dropped; BEL (Cc) and ZWSP (Cf) are deleted.
        XCTAssertEqual(tokenizer.encode("CAFÉ a\u{7}\u{200B}b").ids, [1, id("cafe"), id("ab"), 2])
    }

    func test_given_cjk_ideographs_when_tokenized_then_each_is_a_word() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["東", "京", "##京", "ab"])
        XCTAssertEqual(tokenizer.encode("東京ab").ids, [1, id("東"), id("京"), id("ab"), 2])
    }

    func test_given_added_token_spelled_in_text_when_encoded_then_it_is_kept_whole() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["a", "[", "]", "sep"])
        // Case-sensitive and matched before normalisation: "[sep]" is plain text.
        XCTAssertEqual(tokenizer.encode("a[SEP]a [sep]").ids, [1, id("a"), 2, id("a"), id("["), id("sep"), id("]"), 2])
    }

    func test_given_long_text_when_truncated_then_start_kept_and_special_tokens_added() throws {
        let tokenizer = try makeTokenizer(vocabulary: ["a", "b"], maxLength: 4)
        let encoding = tokenizer.encode("a b a b a")
        XCTAssertEqual(encoding.ids, [1, id("a"), id("b"), 2])
        XCTAssertEqual(encoding.untruncatedCount, 7)
        XCTAssertTrue(encoding.isTruncated)
    }

    func test_given_vocabulary_token_with_underscore_when_loaded_then_it_is_not_renamed() throws {
        // A cased tokenizer: "xY" would find "x_y" had the key been read as snake_case and converted.
        let url = try writeTokenizerFile(
            vocabulary: ["x_y", "xy"],
            normalizer:
                #"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": false, "lowercase": false}"#
        )
        XCTAssertEqual(try BertTokenizer(contentsOf: url).encode("xY xy").ids, [1, 0, id("xy"), 2])
    }

    func test_given_unsupported_normalizer_when_loaded_then_error_names_file_and_section() throws {
        let url = try writeTokenizerFile(vocabulary: [], normalizer: #"{"type": "NFKC"}"#)
        XCTAssertThrowsError(try BertTokenizer(contentsOf: url)) { error in
            XCTAssertEqual(error as? ModelError, ModelError(url.path, .unsupported("normalizer type NFKC")))
        }
    }

    // The hand-made vocabulary: [UNK] 0, [CLS] 1, [SEP] 2, then the given tokens from 3.
    private var vocabulary: [String] = []

    private func id(_ token: String) -> Int32 {
        Int32(vocabulary.firstIndex(of: token) ?? -1)
    }

    private func makeTokenizer(vocabulary tokens: [String], maxInputCharsPerWord: Int = 100, maxLength: Int = 512)
        throws -> BertTokenizer
    {
        try BertTokenizer(
            contentsOf: writeTokenizerFile(
                vocabulary: tokens, maxInputCharsPerWord: maxInputCharsPerWord, maxLength: maxLength))
    }

    private func writeTokenizerFile(
        vocabulary tokens: [String], maxInputCharsPerWord: Int = 100, maxLength: Int = 512,
        normalizer: String =
            #"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}"#
    ) throws -> URL {
        vocabulary = ["[UNK]", "[CLS]", "[SEP]"] + tokens
        let vocab = vocabulary.enumerated().map { "\(json($0.element)): \($0.offset)" }.joined(separator: ", ")
        func special(_ id: Int) -> String {
            #"{"id": \#(id), "content": \#(json(vocabulary[id])), "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
        }
        let file = """
            {"version": "1.0",
             "truncation": {"max_length": \(maxLength), "strategy": "LongestFirst", "stride": 0},
             "added_tokens": [\(special(0)), \(special(1)), \(special(2))],
             "normalizer": \(normalizer),
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
               "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                  "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                       "max_input_chars_per_word": \(maxInputCharsPerWord), "vocab": {\(vocab)}}}
            """
        let url = FileManager.default.temporaryDirectory.appending(path: "braid-tokenizer-\(UUID().uuidString).json")
        try Data(file.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func json(_ string: String) -> String {
        String(decoding: (try? JSONEncoder().encode(string)) ?? Data(), as: UTF8.self)
    }
}
