/// Splits a cleaned word into the pieces byte-pair encoding runs on, as CLIP's pattern does:
///
///     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// matched case-insensitively (so `ſ`, whose simple case folding is `s`, counts as `s`), the first alternative
/// that matches winning at each position: a special token spelled out, an English contraction, a run of letters,
/// a single digit, or a run of anything else. Words hold no whitespace (``CLIPTextCleaner`` split at it).
///
/// One character matches no alternative: U+0345 COMBINING GREEK YPOGEGRAMMENI, a mark whose case variants are
/// letters (ι, Ι), so that case-insensitively it is neither "not a letter" nor, to the `regex` module, a letter.
/// The pattern skips it, so it ends the piece before it and is dropped.
enum CLIPPreTokenizer {
    static let specialTokens: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"].map { Array($0.unicodeScalars) }
    static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }

    static let unmatched: Unicode.Scalar = "\u{0345}"

    static func pieces(_ word: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var pieces: [ArraySlice<Unicode.Scalar>] = []
        var start = word.startIndex
        while start < word.endIndex {
            if word[start] == unmatched {
                start += 1
                continue
            }
            let end: Int
            if let literal = (specialTokens + contractions).first(where: { matches($0, in: word, at: start) }) {
                end = start + literal.count
            } else if word[start].isLetter {
                end = word[start...].firstIndex { !$0.isLetter } ?? word.endIndex
            } else if word[start].isNumber {
                end = start + 1
            } else {
                end = word[start...].firstIndex { $0.isLetter || $0.isNumber || $0 == unmatched } ?? word.endIndex
            }
            pieces.append(word[start..<end])
            start = end
        }
        return pieces
    }

    private static func matches(_ literal: [Unicode.Scalar], in word: [Unicode.Scalar], at start: Int) -> Bool {
        guard word.count - start >= literal.count else { return false }
        return zip(literal, word[start...]).allSatisfy { expected, scalar in
            scalar == expected || (expected == "s" && scalar == "\u{017F}")
        }
    }
}

extension Unicode.Scalar {
    /// `\p{L}`.
    fileprivate var isLetter: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    /// `\p{N}`.
    fileprivate var isNumber: Bool {
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }
}
