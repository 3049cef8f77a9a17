/// The tokenizer's added tokens (`[CLS]`, `[SEP]`, `[MASK]`, ...): text that spells one exactly becomes
/// that token, whatever the normalizer and WordPiece would make of it. So `"a [SEP] b"` keeps its `[SEP]`.
///
/// Matching is leftmost-longest over all tokens, on the raw text for tokens with `normalized: false`
/// and on the normalised text for the others, as tokenizers/src/tokenizer/added_vocabulary.rs does.
struct AddedTokens: Sendable {
    struct Token: Sendable {
        let id: Int32
        let scalars: [Unicode.Scalar]
        /// Also swallow the whitespace before (`lstrip`) or after (`rstrip`) the token.
        let lstrip: Bool
        let rstrip: Bool
    }

    /// One stretch of text: either plain text to tokenise, or an added token.
    enum Piece: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    let tokens: [Token]

    /// Splits `text` into added tokens and the plain text between them.
    func split(_ text: [Unicode.Scalar]) -> [Piece] {
        guard !tokens.isEmpty else { return [.text(0..<text.count)] }
        var pieces: [Piece] = []
        var plainStart = 0
        var index = 0
        while index < text.count {
            guard let token = longestToken(in: text, at: index) else {
                index += 1
                continue
            }
            var plainEnd = index
            if token.lstrip {
                while plainEnd > plainStart, text[plainEnd - 1].isBertWhitespace { plainEnd -= 1 }
            }
            if plainStart < plainEnd { pieces.append(.text(plainStart..<plainEnd)) }
            pieces.append(.token(token.id))
            index += token.scalars.count
            if token.rstrip {
                while index < text.count, text[index].isBertWhitespace { index += 1 }
            }
            plainStart = index
        }
        if plainStart < text.count { pieces.append(.text(plainStart..<text.count)) }
        return pieces
    }

    private func longestToken(in text: [Unicode.Scalar], at index: Int) -> Token? {
        var best: Token?
        for token in tokens where token.scalars.count > (best?.scalars.count ?? 0) {
            let end = index + token.scalars.count
            if end <= text.count, text[index..<end].elementsEqual(token.scalars) { best = token }
        }
        return best
    }
}
