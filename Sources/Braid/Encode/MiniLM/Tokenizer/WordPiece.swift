/// WordPiece: each word becomes the longest vocabulary entry that starts it, then the longest
/// `##`-prefixed entry that continues it, and so on; a word with any part not in the vocabulary,
/// or longer than `maxInputCharsPerWord` scalars, becomes the single unknown token.
/// tokenizer.json: `"model": {"type": "WordPiece", ...}`.
///
/// Port of tokenizers/src/models/wordpiece/mod.rs (`WordPiece::tokenize`).
struct WordPiece: Sendable {
    /// Keyed by UTF-8 bytes, not `String`: Swift compares strings up to canonical equivalence, so a
    /// decomposed Hangul syllable would find its precomposed form, which the reference never matches.
    let vocabulary: [[UInt8]: Int32]
    let unknownID: Int32
    let continuingSubwordPrefix: [UInt8]
    let maxInputCharsPerWord: Int

    init(
        vocabulary: [String: Int32], unknownToken: String, continuingSubwordPrefix: String,
        maxInputCharsPerWord: Int
    ) throws(WordPieceError) {
        var bytesVocabulary: [[UInt8]: Int32] = [:]
        bytesVocabulary.reserveCapacity(vocabulary.count)
        for (token, id) in vocabulary { bytesVocabulary[Array(token.utf8)] = id }
        guard let unknownID = bytesVocabulary[Array(unknownToken.utf8)] else {
            throw .unknownTokenNotInVocabulary(unknownToken)
        }
        self.vocabulary = bytesVocabulary
        self.unknownID = unknownID
        self.continuingSubwordPrefix = Array(continuingSubwordPrefix.utf8)
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    /// Appends the ids of `word`'s pieces to `ids`.
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
        guard word.count <= maxInputCharsPerWord else {
            ids.append(unknownID)
            return
        }
        // bytes[scalarStart[i]..<scalarStart[i + 1]] is the UTF-8 of the word's i-th scalar.
        var bytes: [UInt8] = []
        var scalarStart: [Int] = [0]
        for scalar in word {
            bytes.append(contentsOf: scalar.utf8)
            scalarStart.append(bytes.count)
        }
        let firstPiece = ids.count
        var start = 0
        var key: [UInt8] = []
        while start < word.count {
            var end = word.count
            var match: Int32?
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key.append(contentsOf: continuingSubwordPrefix) }
                key.append(contentsOf: bytes[scalarStart[start]..<scalarStart[end]])
                if let id = vocabulary[key] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                ids.removeSubrange(firstPiece...)
                ids.append(unknownID)
                return
            }
            ids.append(match)
            start = end
        }
    }
}

enum WordPieceError: Error {
    case unknownTokenNotInVocabulary(String)
}
