import BraidTensor
import Foundation

/// sentence_bert_config.json: how sentence-transformers feeds text to the transformer.
struct SentenceBertConfiguration: Decodable {
    /// Texts are truncated to this many tokens, special tokens included.
    let maxSeqLength: Int
    /// Whether sentence-transformers lowercases texts (with Python's `str.lower`) before the tokenizer.
    let doLowerCase: Bool?

    enum CodingKeys: String, CodingKey {
        case maxSeqLength = "max_seq_length"
        case doLowerCase = "do_lower_case"
    }
}

/// How token vectors become one sentence vector: 1_Pooling/config.json of a sentence-transformers model.
enum SentencePooling: Sendable, Equatable {
    /// The average of the token vectors (all-MiniLM-L6-v2).
    case mean
    /// The average scaled by √T instead of T.
    case meanSquareRootLength
    /// The element-wise maximum over the tokens.
    case max
    /// The vector of the first token, `[CLS]`.
    case classToken

    /// The keys of 1_Pooling/config.json; sentence-transformers concatenates every mode set to true,
    /// Braid supports exactly one.
    private struct File: Decodable {
        let wordEmbeddingDimension: Int
        let poolingModeClsToken: Bool?
        let poolingModeMeanTokens: Bool?
        let poolingModeMaxTokens: Bool?
        let poolingModeMeanSqrtLenTokens: Bool?

        enum CodingKeys: String, CodingKey {
            case wordEmbeddingDimension = "word_embedding_dimension"
            case poolingModeClsToken = "pooling_mode_cls_token"
            case poolingModeMeanTokens = "pooling_mode_mean_tokens"
            case poolingModeMaxTokens = "pooling_mode_max_tokens"
            case poolingModeMeanSqrtLenTokens = "pooling_mode_mean_sqrt_len_tokens"
        }
    }

    /// Reads the pooling config and checks it against the transformer's width.
    /// - Throws: `ModelError` naming the file when it is unreadable, sets no mode or several, or
    ///   disagrees with `hiddenSize`.
    init(contentsOf url: URL, hiddenSize: Int) throws {
        let file: File = try decodeJSON(File.self, from: url)
        let modes: [(Bool?, SentencePooling)] = [
            (file.poolingModeMeanTokens, .mean), (file.poolingModeMeanSqrtLenTokens, .meanSquareRootLength),
            (file.poolingModeMaxTokens, .max), (file.poolingModeClsToken, .classToken),
        ]
        let chosen = modes.filter { $0.0 == true }.map(\.1)
        guard chosen.count == 1, let mode = chosen.first else {
            throw ModelError(
                url.path, .unsupported("expected exactly one pooling mode set to true, found \(chosen.count)"))
        }
        guard file.wordEmbeddingDimension == hiddenSize else {
            throw ModelError(
                url.path,
                .invalid(
                    "word_embedding_dimension \(file.wordEmbeddingDimension) differs from hidden_size \(hiddenSize)"))
        }
        self = mode
    }

    /// Pools the token vectors of one sequence and scales the result to unit length.
    /// - Parameter tokens: `(T, E)`, T ≥ 1.
    /// - Returns: E floats of L2 norm 1 (all zeros if the pooled vector is).
    func normalizedSentenceVector(_ tokens: UnsafeBufferPointer<Float>, count: Int, width: Int) -> [Float] {
        var vector = [Float](repeating: 0, count: width)
        switch self {
        case .mean, .meanSquareRootLength:
            for token in 0..<count {
                for column in 0..<width { vector[column] += tokens[token * width + column] }
            }
            // Only the direction survives normalisation, but the sum is divided first anyway so
            // the rounding matches the reference's mean.
            let divisor = self == .mean ? Float(count) : Float(count).squareRoot()
            for column in 0..<width { vector[column] /= divisor }
        case .max:
            for column in 0..<width { vector[column] = tokens[column] }
            for token in 1..<Swift.max(count, 1) {
                for column in 0..<width { vector[column] = Swift.max(vector[column], tokens[token * width + column]) }
            }
        case .classToken:
            for column in 0..<width { vector[column] = tokens[column] }
        }
        var squaredNorm: Double = 0
        for value in vector { squaredNorm += Double(value) * Double(value) }
        guard squaredNorm > 0 else { return vector }
        let scale = Float(1 / squaredNorm.squareRoot())
        return vector.map { $0 * scale }
    }
}

/// Decodes a JSON file, turning failures into a `ModelError` that names it.
func decodeJSON<Value: Decodable>(_ type: Value.Type, from url: URL) throws -> Value {
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw ModelError(url.path, .unreadable(error.localizedDescription))
    }
    do {
        return try JSONDecoder().decode(type, from: data)
    } catch {
        throw ModelError(url.path, .invalid("\(error)"))
    }
}
