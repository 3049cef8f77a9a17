import Foundation

/// BERT's text clean-up before splitting into words, configured by tokenizer.json's `normalizer`
/// section (`"type": "BertNormalizer"`). The steps run in this order:
///
/// 1. clean text: delete NUL, U+FFFD and control/format/private-use characters; every whitespace
///    character becomes a plain space;
/// 2. Chinese characters: surround each CJK ideograph with spaces;
/// 3. strip accents: canonical decomposition (NFD), then delete nonspacing marks (Mn);
/// 4. lowercase: each scalar's full Unicode lowercase mapping (`İ` becomes `i` + U+0307).
///
/// Port of tokenizers/src/normalizers/bert.rs at c600ccc.
struct BertNormalizer: Sendable {
    var cleanText: Bool
    var handleChineseChars: Bool
    var stripAccents: Bool
    var lowercase: Bool

    func normalize(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text = scalars
        if cleanText {
            text = text.compactMap { scalar in
                if scalar == "\0" || scalar == "\u{FFFD}" || scalar.isBertControl { return nil }
                return scalar.isBertWhitespace ? " " : scalar
            }
        }
        if handleChineseChars, text.contains(where: \.isCJKIdeograph) {
            text = text.flatMap { $0.isCJKIdeograph ? [" ", $0, " "] : [$0] }
        }
        if stripAccents, !text.allSatisfy(\.isASCII) {
            var string = String()
            string.unicodeScalars.append(contentsOf: text)
            text = string.decomposedStringWithCanonicalMapping.unicodeScalars.filter { !$0.isNonspacingMark }
        }
        if lowercase {
            text = text.flatMap { scalar -> [Unicode.Scalar] in
                if scalar.isASCII {
                    return [("A"..."Z").contains(scalar) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar]
                }
                return Array(scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return text
    }
}
