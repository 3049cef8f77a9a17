/// The sections of a HuggingFace tokenizer.json that BERT tokenisation reads; the coding keys are the
/// file's. (Not `convertFromSnakeCase`: it would also rewrite the vocabulary's tokens, `a_b` to `aB`.)
/// `BertTokenizer` checks each section's `type` and says which section it cannot handle.
struct TokenizerFile: Decodable {
    let addedTokens: [AddedToken]
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: Model
    let postProcessor: PostProcessor?
    let truncation: Truncation?

    enum CodingKeys: String, CodingKey {
        case normalizer, model, truncation
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
    }

    struct AddedToken: Decodable {
        let id: Int32
        let content: String
        let singleWord: Bool
        let lstrip: Bool
        let rstrip: Bool
        let normalized: Bool

        enum CodingKeys: String, CodingKey {
            case id, content, lstrip, rstrip, normalized
            case singleWord = "single_word"
        }
    }

    struct Normalizer: Decodable {
        let type: String
        let cleanText: Bool?
        let handleChineseChars: Bool?
        /// `null` means "strip accents when lowercasing".
        let stripAccents: Bool?
        let lowercase: Bool?

        enum CodingKeys: String, CodingKey {
            case type, lowercase
            case cleanText = "clean_text"
            case handleChineseChars = "handle_chinese_chars"
            case stripAccents = "strip_accents"
        }
    }

    struct PreTokenizer: Decodable {
        let type: String
    }

    struct Model: Decodable {
        let type: String
        let unkToken: String
        let continuingSubwordPrefix: String?
        let maxInputCharsPerWord: Int?
        let vocab: [String: Int32]

        enum CodingKeys: String, CodingKey {
            case type, vocab
            case unkToken = "unk_token"
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case maxInputCharsPerWord = "max_input_chars_per_word"
        }
    }

    /// `TemplateProcessing` (`single`, `special_tokens`) or the older `BertProcessing` (`cls`, `sep`).
    struct PostProcessor: Decodable {
        let type: String
        let single: [TemplatePiece]?
        let specialTokens: [String: SpecialTokenIDs]?
        let cls: NamedToken?
        let sep: NamedToken?

        enum CodingKeys: String, CodingKey {
            case type, single, cls, sep
            case specialTokens = "special_tokens"
        }
    }

    /// One entry of a template: `{"SpecialToken": {"id": "[CLS]", ...}}` or `{"Sequence": {"id": "A", ...}}`.
    struct TemplatePiece: Decodable {
        struct Reference: Decodable {
            let id: String
        }
        let specialToken: Reference?
        let sequence: Reference?

        enum CodingKeys: String, CodingKey {
            case specialToken = "SpecialToken"
            case sequence = "Sequence"
        }
    }

    struct SpecialTokenIDs: Decodable {
        let ids: [Int32]
    }

    /// BertProcessing spells a token as a two-element array: `["[SEP]", 102]`.
    struct NamedToken: Decodable {
        let content: String
        let id: Int32

        init(from decoder: any Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            content = try pair.decode(String.self)
            id = try pair.decode(Int32.self)
        }
    }

    struct Truncation: Decodable {
        let maxLength: Int
        /// `Right` (keep the start) when absent, as in files written before the key existed.
        let direction: String?

        enum CodingKeys: String, CodingKey {
            case direction
            case maxLength = "max_length"
        }
    }
}
