/// Splits normalised text into words: whitespace separates words and is dropped; each punctuation
/// character becomes a word of its own. tokenizer.json: `"pre_tokenizer": {"type": "BertPreTokenizer"}`.
///
/// Port of tokenizers/src/pre_tokenizers/bert.rs at 76eee32.
struct BertPreTokenizer: Sendable {
    /// The words of `text`, as ranges into it.
    func words(in text: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var wordStart: Int?
        for (index, scalar) in text.enumerated() {
            let isWhitespace = scalar.isBertWhitespace
            if isWhitespace || scalar.isBertPunctuation {
                if let start = wordStart { words.append(start..<index) }
                wordStart = nil
                if !isWhitespace { words.append(index..<index + 1) }
            } else if wordStart == nil {
                wordStart = index
            }
        }
        if let start = wordStart { words.append(start..<text.count) }
        return words
    }
}
