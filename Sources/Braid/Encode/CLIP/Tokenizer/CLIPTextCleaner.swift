import Foundation

/// The clean-up CLIP's tokenizer runs before splitting text into pieces, as transformers' `CLIPTokenizer` runs it
/// when `ftfy` is not installed (its `BasicTokenizer(strip_accents=False, do_split_on_punc=False)`, then
/// lower-casing):
///
/// 1. delete NUL, U+FFFD and every character of a general category C… (control, format, private use,
///    unassigned) except tab, newline and carriage return; those three and every space separator (Zs) become a
///    space;
/// 2. surround each CJK ideograph with spaces;
/// 3. compose (NFC);
/// 4. split into words at spaces and at the line and paragraph separators;
/// 5. lower-case each word as Python's `str.lower` does: full case mappings, and Σ as final ς at a word's end.
///
/// Character properties follow the Unicode version of the Python that made the reference ids (3.11: Unicode
/// 14.0): a character assigned later counts as unassigned, so it is deleted.
struct CLIPTextCleaner: Sendable {
    static let unicodeVersion = (major: 14, minor: 0)

    /// The words of `text`, each a non-empty run of scalars.
    func words(_ text: some Sequence<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text {
            if scalar == "\0" || scalar == "\u{FFFD}" || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if scalar.isPythonCJKIdeograph {
                cleaned.append(contentsOf: [" ", scalar, " "])
            } else {
                cleaned.append(scalar)
            }
        }
        let composed = String(cleaned).precomposedStringWithCanonicalMapping
        return composed.unicodeScalars.split(whereSeparator: { $0 == " " || $0 == "\u{2028}" || $0 == "\u{2029}" })
            .map { Self.lowercased(Array($0)) }
    }

    private static func isAssigned(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= unicodeVersion
    }

    /// Python's `unicodedata.category(c).startswith("C")`, tab, newline and carriage return excepted.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        guard isAssigned(scalar) else { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
            || scalar.properties.generalCategory == .spaceSeparator
    }

    /// Python's `str.lower` of one word.
    private static func lowercased(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var lowered: [Unicode.Scalar] = []
        lowered.reserveCapacity(word.count)
        for (index, scalar) in word.enumerated() {
            if scalar.isASCII {
                lowered.append(("A"..."Z").contains(scalar) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar)
            } else if scalar == "\u{03A3}" {
                lowered.append(isFinalSigma(at: index, in: word) ? "\u{03C2}" : "\u{03C3}")
            } else {
                lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return lowered
    }

    /// Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable ones) and none after.
    private static func isFinalSigma(at index: Int, in word: [Unicode.Scalar]) -> Bool {
        let before = word[..<index].last { !$0.properties.isCaseIgnorable }
        guard let before, before.properties.isCased else { return false }
        let after = word[(index + 1)...].first { !$0.properties.isCaseIgnorable }
        return !(after?.properties.isCased ?? false)
    }
}
