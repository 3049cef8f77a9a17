import BraidTensor

/// Turns prompts into the tokens a ``DiffusionUNet`` attends to: the whole prompt's vector first (the pooled token),
/// then one vector per word, all from the text encoder the model was trained with:
///
/// - `hashed` (built in): ``HashedTextEncoder``'s vector of the prompt, then its vector of each word alone;
/// - `minilm` (after `braid models fetch minilm`): the MiniLM sentence vector, then the last hidden state of each
///   token, which carries its meaning in context ("seven" and "7" land near each other).
///
/// Words get vectors of their own so that cross-attention can find the one that matters ("seven" in "please draw a
/// seven") whatever surrounds it; the pooled vector carries the phrase as a whole.
struct PromptEncoder: Sendable {
    /// The model's `config.json` section.
    struct Configuration: Codable, Sendable, Equatable {
        /// The text encoder: `hashed` or `minilm`.
        var encoder = "hashed"
        /// E, the encoder's width (512 hashed, 384 MiniLM).
        var dimension = 512
        /// Words past this many are dropped.
        var maxWords = 12

        enum CodingKeys: String, CodingKey {
            case encoder, dimension
            case maxWords = "max_words"
        }
    }

    /// The encoders a model's config may name.
    static let knownEncoders = ["hashed", "minilm"]

    private enum Backend: Sendable {
        case hashed(HashedTextEncoder)
        case minilm(MiniLMEncoder)
    }

    let configuration: Configuration
    private let backend: Backend

    /// - Parameter context: Where MiniLM's files are.
    /// - Throws: `GenerationError` when the configuration names a text encoder this Braid does not condition on, or
    ///   one whose files are missing or of another width.
    init(configuration: Configuration, model: String, context: EncoderContext = EncoderContext()) throws {
        self.configuration = configuration
        switch configuration.encoder {
        case "hashed":
            backend = .hashed(HashedTextEncoder(dimension: configuration.dimension))
        case "minilm":
            let folder = MiniLMEncoder.folder(for: context)
            let encoder: MiniLMEncoder
            do { encoder = try MiniLMEncoder(folder: folder) } catch {
                throw GenerationError(
                    model: model,
                    problem: "the model reads prompts through MiniLM, which is not there (\(error)): run 'braid models fetch minilm'")
            }
            guard encoder.dimension == configuration.dimension else {
                throw GenerationError(
                    model: model,
                    problem: "the model reads \(configuration.dimension)-wide MiniLM vectors; \(folder.path) makes \(encoder.dimension)")
            }
            backend = .minilm(encoder)
        default:
            throw GenerationError(
                model: model,
                problem:
                    "the model expects prompts encoded by '\(configuration.encoder)', which this Braid cannot condition on (known: \(Self.knownEncoders.joined(separator: ", ")))"
            )
        }
    }

    /// L, the tokens of the longest prompt: the pooled one and a token per word.
    var maxTokens: Int { 1 + configuration.maxWords }

    /// One prompt's tokens, row-major (n, E), n ≥ 2.
    /// - Throws: `EncodeError.nothingToEncode` for a prompt without letters or digits.
    func tokens(of prompt: String) throws -> [Float] {
        let words = HashedTextEncoder.words(in: prompt.precomposedStringWithCompatibilityMapping.lowercased())
        guard !words.isEmpty else {
            throw EncodeError.nothingToEncode(encoder: configuration.encoder, reason: "the text has no letters or digits")
        }
        switch backend {
        case .hashed(let encoder):
            let pooled = try encoder.encode([.text(Text(string: prompt, encoding: .utf8))])[0]
            let wordVectors = try encoder.encode(
                words.prefix(configuration.maxWords).map {
                    .text(Text(string: String(String.UnicodeScalarView($0)), encoding: .utf8))
                })
            return pooled + wordVectors.flatMap { $0 }
        case .minilm(let encoder):
            let (sentence, tokens) = encoder.sentenceAndTokens(prompt, maxTokens: configuration.maxWords)
            return sentence + tokens
        }
    }

    /// The tokens of a prompt, or of no prompt (nil: one zero token, what classifier-free guidance contrasts with),
    /// as a batch padded to the longest.
    static func batch(_ tokens: [[Float]?], dimension: Int) -> DiffusionUNet.Prompts {
        let lengths = tokens.map { max(1, ($0?.count ?? 0) / dimension) }
        let longest = lengths.max() ?? 1
        var values = [Float](repeating: 0, count: tokens.count * longest * dimension)
        for (row, prompt) in tokens.enumerated() {
            guard let prompt else { continue }
            let start = row * longest * dimension
            values.replaceSubrange(start..<(start + prompt.count), with: prompt)
        }
        return DiffusionUNet.Prompts(tokens: Tensor(values, shape: [tokens.count, longest, dimension]), lengths: lengths)
    }
}
