import Foundation

/// The token ids of one text, after truncation and with the special tokens added.
public struct TokenEncoding: Sendable, Equatable {
    public let ids: [Int32]
    /// How many ids the text had before truncation (special tokens included).
    public let untruncatedCount: Int

    public var isTruncated: Bool { untruncatedCount > ids.count }
}

/// BERT tokenisation as a HuggingFace tokenizer.json specifies it: added tokens, then
/// `BertNormalizer`, `BertPreTokenizer`, `WordPiece`, truncation and the single-sequence template of
/// the post-processor (`[CLS] text [SEP]`). Produces the ids the `tokenizers` library produces for the
/// same file.
public struct BertTokenizer: Sendable {
    let addedTokens: AddedTokens
    /// Added tokens with `normalized: true`, matched in the normalised text.
    let normalizedAddedTokens: AddedTokens
    let normalizer: BertNormalizer?
    let preTokenizer: BertPreTokenizer?
    let wordPiece: WordPiece
    /// The template's ids before and after the sequence.
    let prefixIDs: [Int32]
    let suffixIDs: [Int32]
    /// The most ids an encoding may have, special tokens included; nil for no limit.
    let maxLength: Int?
    let keepsStartWhenTruncating: Bool

    /// Reads a tokenizer.json.
    /// - Parameters:
    ///   - file: the tokenizer.json.
    ///   - maxLength: overrides the file's `truncation.max_length` (sentence-transformers truncates to
    ///     its `max_seq_length`, whatever the tokenizer file says).
    /// - Throws: `ModelError` naming the file and the section it cannot read or does not support.
    public init(contentsOf file: URL, maxLength: Int? = nil) throws {
        let spec: TokenizerFile
        do {
            spec = try JSONDecoder().decode(TokenizerFile.self, from: Data(contentsOf: file))
        } catch let error as DecodingError {
            throw ModelError(file.path, .invalid("\(error)"))
        } catch {
            throw ModelError(file.path, .unreadable(error.localizedDescription))
        }
        try self.init(spec, maxLength: maxLength, path: file.path)
    }

    init(_ spec: TokenizerFile, maxLength: Int?, path: String) throws {
        func unsupported(_ detail: String) -> ModelError { ModelError(path, .unsupported(detail)) }

        if let section = spec.normalizer {
            guard section.type == "BertNormalizer" else { throw unsupported("normalizer type \(section.type)") }
            let lowercase = section.lowercase ?? true
            normalizer = BertNormalizer(
                cleanText: section.cleanText ?? true, handleChineseChars: section.handleChineseChars ?? true,
                stripAccents: section.stripAccents ?? lowercase, lowercase: lowercase)
        } else {
            normalizer = nil
        }

        if let section = spec.preTokenizer {
            guard section.type == "BertPreTokenizer" else { throw unsupported("pre_tokenizer type \(section.type)") }
            preTokenizer = BertPreTokenizer()
        } else {
            preTokenizer = nil
        }

        guard spec.model.type == "WordPiece" else { throw unsupported("model type \(spec.model.type)") }
        do {
            wordPiece = try WordPiece(
                vocabulary: spec.model.vocab, unknownToken: spec.model.unkToken,
                continuingSubwordPrefix: spec.model.continuingSubwordPrefix ?? "##",
                maxInputCharsPerWord: spec.model.maxInputCharsPerWord ?? 100)
        } catch .unknownTokenNotInVocabulary(let token) {
            throw ModelError(path, .invalid("model.unk_token \(token) is not in model.vocab"))
        }

        if let single = spec.addedTokens.first(where: \.singleWord) {
            throw unsupported("added token \(single.content) with single_word: true")
        }
        let normalizer = self.normalizer
        func added(_ tokens: [TokenizerFile.AddedToken]) -> AddedTokens {
            AddedTokens(
                tokens: tokens.map { token in
                    let scalars = Array(token.content.unicodeScalars)
                    return AddedTokens.Token(
                        id: token.id, scalars: token.normalized ? normalizer?.normalize(scalars) ?? scalars : scalars,
                        lstrip: token.lstrip, rstrip: token.rstrip)
                })
        }
        addedTokens = added(spec.addedTokens.filter { !$0.normalized })
        normalizedAddedTokens = added(spec.addedTokens.filter(\.normalized))

        (prefixIDs, suffixIDs) = try Self.template(of: spec.postProcessor, unsupported: unsupported)

        let truncation = spec.truncation
        self.maxLength = maxLength ?? truncation?.maxLength
        switch truncation?.direction ?? "Right" {
        case "Right": keepsStartWhenTruncating = true
        case "Left": keepsStartWhenTruncating = false
        case let direction: throw unsupported("truncation direction \(direction)")
        }
    }

    /// The ids the post-processor puts before and after a single sequence.
    private static func template(
        of section: TokenizerFile.PostProcessor?, unsupported: (String) -> ModelError
    ) throws -> (prefix: [Int32], suffix: [Int32]) {
        guard let section else { return ([], []) }
        switch section.type {
        case "BertProcessing":
            guard let cls = section.cls, let sep = section.sep else {
                throw unsupported("post_processor BertProcessing without cls and sep")
            }
            return ([cls.id], [sep.id])
        case "TemplateProcessing":
            guard let single = section.single else { throw unsupported("post_processor without a single template") }
            var prefix: [Int32] = []
            var suffix: [Int32] = []
            var seenSequence = false
            for piece in single {
                if piece.sequence != nil {
                    seenSequence = true
                } else if let name = piece.specialToken?.id {
                    guard let ids = section.specialTokens?[name]?.ids else {
                        throw unsupported("post_processor template names \(name), absent from special_tokens")
                    }
                    if seenSequence { suffix += ids } else { prefix += ids }
                }
            }
            return (prefix, suffix)
        default:
            throw unsupported("post_processor type \(section.type)")
        }
    }

    /// The largest id an encoding can hold, to check against the model's vocabulary size.
    public var largestID: Int32? {
        ((wordPiece.vocabulary.values.max().map { [$0] } ?? []) + addedTokens.tokens.map(\.id)
            + normalizedAddedTokens.tokens.map(\.id) + prefixIDs + suffixIDs).max()
    }

    /// The token ids of `text`.
    public func encode(_ text: String) -> TokenEncoding {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int32] = []
        for piece in addedTokens.split(scalars) {
            switch piece {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let normalized = normalizer?.normalize(Array(scalars[range])) ?? Array(scalars[range])
                for innerPiece in normalizedAddedTokens.split(normalized) {
                    switch innerPiece {
                    case .token(let id): ids.append(id)
                    case .text(let range): appendWords(of: normalized[range], to: &ids)
                    }
                }
            }
        }
        let specialCount = prefixIDs.count + suffixIDs.count
        let untruncatedCount = ids.count + specialCount
        if let maxLength, untruncatedCount > maxLength {
            let keep = max(0, maxLength - specialCount)
            ids = keepsStartWhenTruncating ? Array(ids.prefix(keep)) : Array(ids.suffix(keep))
        }
        return TokenEncoding(ids: prefixIDs + ids + suffixIDs, untruncatedCount: untruncatedCount)
    }

    private func appendWords(of text: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        guard let preTokenizer else {
            wordPiece.tokenize(text, into: &ids)
            return
        }
        let base = text.startIndex
        for word in preTokenizer.words(in: Array(text)) {
            wordPiece.tokenize(text[(base + word.lowerBound)..<(base + word.upperBound)], into: &ids)
        }
    }
}
