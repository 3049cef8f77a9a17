import Foundation

/// CLIP's tokenizer: ``CLIPTextCleaner``, ``CLIPPreTokenizer``, then ``BytePairEncoding`` with the checkpoint's
/// vocab.json and merges.txt; the ids framed by `<|startoftext|>` and `<|endoftext|>` and cut to the text
/// model's context length (77) keeping the end token, as transformers' `CLIPTokenizer` (with
/// `truncation=True`) and OpenAI's `clip.tokenize(truncate=True)` do. The special tokens spelled out in a text
/// (exactly, case included) are those tokens.
public struct CLIPTokenizer: Sendable {
    static let startToken = "<|startoftext|>"
    static let endToken = "<|endoftext|>"

    let encoding: BytePairEncoding
    let cleaner = CLIPTextCleaner()
    public let startID: Int32
    public let endID: Int32
    /// The most ids `encode` returns, the two special ones included.
    public let maxLength: Int

    /// - Throws: `ModelError` naming the file that is unreadable, malformed or lacks a special token.
    public init(vocabulary: URL, merges: URL, maxLength: Int) throws {
        encoding = try BytePairEncoding(vocabulary: vocabulary, merges: merges, unknownToken: Self.endToken)
        guard let start = encoding.vocabulary[Self.startToken] else {
            throw ModelError(vocabulary.path, .invalid("no id for \(Self.startToken)"))
        }
        guard maxLength >= 2 else { throw ModelError(vocabulary.path, .invalid("a context of \(maxLength) tokens")) }
        startID = start
        endID = encoding.unknownID
        self.maxLength = maxLength
    }

    /// The largest id the vocabulary holds.
    public var largestID: Int32? { encoding.largestID }

    /// The ids of `text`, framed and truncated.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for (chunk, special) in Self.splitSpecialTokens(Array(text.unicodeScalars)) {
            if let special {
                ids.append(special == Self.startToken ? startID : endID)
                continue
            }
            for word in cleaner.words(chunk) {
                for piece in CLIPPreTokenizer.pieces(word) { ids += encoding.encode(piece) }
            }
        }
        return [startID] + ids.prefix(maxLength - 2) + [endID]
    }

    /// The text cut at each special token spelled out in it, scalar by scalar as transformers' trie matches them
    /// (so a combining mark after one does not hide it).
    static func splitSpecialTokens(_ text: [Unicode.Scalar]) -> [(chunk: ArraySlice<Unicode.Scalar>, special: String?)] {
        let specials = [startToken, endToken].map { ($0, Array($0.unicodeScalars)) }
        var chunks: [(ArraySlice<Unicode.Scalar>, String?)] = []
        var chunkStart = 0
        var index = 0
        while index < text.count {
            guard text[index] == "<",
                let (name, scalars) = specials.first(where: { text[index...].starts(with: $0.1) })
            else {
                index += 1
                continue
            }
            if chunkStart < index { chunks.append((text[chunkStart..<index], nil)) }
            chunks.append((text[index..<(index + scalars.count)], name))
            index += scalars.count
            chunkStart = index
        }
        if chunkStart < text.count { chunks.append((text[chunkStart...], nil)) }
        return chunks
    }
}
