// The character classes BERT tokenisation is defined by, as HuggingFace tokenizers implements them:
// tokenizers/src/normalizers/bert.rs and tokenizers/src/pre_tokenizers/bert.rs
// (https://github.com/huggingface/tokenizers/blob/c600cccadb497b54c2b24a3d38c090942ea14a5a/tokenizers/src/normalizers/bert.rs).

extension Unicode.Scalar {
    /// White_Space, plus tab, newline and carriage return (which Unicode files under Cc).
    var isBertWhitespace: Bool {
        properties.isWhitespace
    }

    /// "Other" characters the clean-up step deletes: Cc, Cf and Co, except tab, newline and carriage
    /// return, which count as whitespace. Unassigned code points (Cn) are kept, as in the Rust
    /// `unicode_categories::is_other` the reference uses.
    var isBertControl: Bool {
        switch self {
        case "\t", "\n", "\r": false
        default:
            switch bertGeneralCategory {
            case .control, .format, .privateUse: true
            default: false
            }
        }
    }

    /// The CJK Unified Ideographs blocks (and compatibility ideographs) that get spaces around them, so
    /// each becomes its own word. Hangul, Hiragana and Katakana are not in these blocks: they are written
    /// with spaces between words and are tokenised like any other script.
    var isCJKIdeograph: Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default: false
        }
    }

    /// ``isCJKIdeograph`` as transformers' Python `BasicTokenizer` tests it: its range for CJK extension E starts
    /// at U+2B820, where the block does, not at U+2B920 as in the Rust tokenizers.
    var isPythonCJKIdeograph: Bool {
        isCJKIdeograph || (0x2B820..<0x2B920).contains(value)
    }

    /// Punctuation splits words and stands alone: every Unicode P* category, plus all ASCII
    /// non-alphanumeric printable characters (`$`, `+`, `<`, `^`, `` ` ``, `|`, `~` are symbols to Unicode).
    var isBertPunctuation: Bool {
        if isASCII {
            return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value) || (0x5B...0x60).contains(value)
                || (0x7B...0x7E).contains(value)
        }
        switch bertGeneralCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Combining marks that take no space (Mn): what accent stripping deletes after NFD.
    var isNonspacingMark: Bool {
        bertGeneralCategory == .nonspacingMark
    }

    /// The general category as Unicode 8.0 assigned it: the reference classifies characters with the
    /// Rust crate `unicode_categories` 0.1, whose tables are Unicode 8.0. Characters assigned later count
    /// as unassigned there (so they are neither deleted, split off nor stripped), and the few whose
    /// category changed since keep their 8.0 category.
    private var bertGeneralCategory: Unicode.GeneralCategory {
        guard let age = properties.age, age.major <= 8 else { return .unassigned }
        switch value {
        case 0x166D, 0x111C9: return .otherPunctuation  // So since 12.0 / Mn since 13.0
        case 0x1734, 0x1171E: return .nonspacingMark  // Mc since 14.0
        case 0xA9BD: return .spacingMark  // Mn since 12.0
        case 0x1885, 0x1886: return .otherLetter  // Mn since 9.0
        default: return properties.generalCategory
        }
    }
}
