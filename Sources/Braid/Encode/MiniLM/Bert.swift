// BERT: Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
// Understanding", NAACL 2019. The encoder only (no pooler, no heads), as sentence-transformers uses it.
// Port of https://github.com/huggingface/transformers/blob/8ec58104181bfb34d824d89bccc009b4f6be6e0e/src/transformers/models/bert/modeling_bert.py
// (BertEmbeddings, BertSelfAttention, BertSelfOutput, BertIntermediate, BertOutput, BertLayer).
//
// Dimension legend: N tokens of all sequences of a batch, packed one after another (no padding);
// T tokens of one sequence; E hidden size; H heads; D = E/H head size; F intermediate size.
//
// The batch is packed rather than padded: every token-wise layer (the linear layers, layer norms,
// GELU) runs once over all N tokens, and attention runs per sequence over its own T tokens. That is
// what HF computes for a padded batch with an attention mask, without the padded positions.

import BraidTensor
import Foundation

/// config.json of a HuggingFace `BertModel`; the keys are the file's.
public struct BertConfiguration: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var positionEmbeddingType: String?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
    }
}

/// Word + position + token-type embeddings, then layer norm. Keys under `embeddings.`.
struct BertEmbeddings: Sendable {
    let wordEmbeddings: Embedding  // word_embeddings
    let positionEmbeddings: Embedding  // position_embeddings
    let tokenTypeEmbeddings: Embedding  // token_type_embeddings
    let layerNorm: LayerNorm  // LayerNorm

    init(configuration: BertConfiguration, scope: WeightScope) throws {
        let width = configuration.hiddenSize
        wordEmbeddings = try Embedding(
            scope: scope.scope("word_embeddings"), count: configuration.vocabSize, dimension: width)
        positionEmbeddings = try Embedding(
            scope: scope.scope("position_embeddings"), count: configuration.maxPositionEmbeddings, dimension: width)
        tokenTypeEmbeddings = try Embedding(
            scope: scope.scope("token_type_embeddings"), count: configuration.typeVocabSize, dimension: width)
        layerNorm = try LayerNorm(
            scope: scope.scope("LayerNorm"), dimension: width, epsilon: configuration.layerNormEps)
    }

    /// - Parameter sequences: token ids, each sequence starting at position 0, all of token type 0
    ///   (one text per sequence, no sentence pairs).
    /// - Returns: `(N, E)`.
    func callAsFunction(_ sequences: [[Int32]]) -> Tensor {
        let ids = sequences.flatMap { $0.map(Int.init) }
        let positions = sequences.flatMap { 0..<$0.count }
        let words = wordEmbeddings(ids)  // (N, E)
        let placed = words + positionEmbeddings(positions)  // (N, E)
        // Token type 0 for every token: one row, broadcast over N. (E) -> (1, E)
        let typed = placed + tokenTypeEmbeddings([0])
        return layerNorm(typed)
    }
}

/// One transformer block: self-attention and a feed-forward network, each followed by a residual
/// connection and a post-layer norm. Keys under `encoder.layer.<i>.`.
struct BertLayer: Sendable {
    // attention.self.{query,key,value}.{weight,bias}, stacked into one (3E, E) projection: one GEMM
    // instead of three.
    let queryKeyValueWeight: Tensor
    let queryKeyValueBias: Tensor
    let attentionOutput: Linear  // attention.output.dense
    let attentionLayerNorm: LayerNorm  // attention.output.LayerNorm
    let intermediate: Linear  // intermediate.dense
    let output: Linear  // output.dense
    let outputLayerNorm: LayerNorm  // output.LayerNorm
    let heads: Int
    let activation: UnaryOp

    init(configuration: BertConfiguration, activation: UnaryOp, scope: WeightScope) throws {
        let (width, inner) = (configuration.hiddenSize, configuration.intermediateSize)
        let epsilon = configuration.layerNormEps
        let selfAttention = scope.scope("attention.self")
        let projections = try ["query", "key", "value"].map { name in
            try Linear(scope: selfAttention.scope(name), inFeatures: width, outFeatures: width)
        }
        queryKeyValueWeight = Tensor.concatenate(projections.map(\.weight), axis: 0)  // 3 × (E, E) -> (3E, E)
        queryKeyValueBias = Tensor.concatenate(projections.compactMap(\.bias), axis: 0)  // 3 × (E) -> (3E)
        attentionOutput = try Linear(
            scope: scope.scope("attention.output.dense"), inFeatures: width, outFeatures: width)
        attentionLayerNorm = try LayerNorm(
            scope: scope.scope("attention.output.LayerNorm"), dimension: width, epsilon: epsilon)
        intermediate = try Linear(scope: scope.scope("intermediate.dense"), inFeatures: width, outFeatures: inner)
        output = try Linear(scope: scope.scope("output.dense"), inFeatures: inner, outFeatures: width)
        outputLayerNorm = try LayerNorm(scope: scope.scope("output.LayerNorm"), dimension: width, epsilon: epsilon)
        heads = configuration.numAttentionHeads
        self.activation = activation
    }

    /// - Parameters:
    ///   - hidden: `(N, E)`.
    ///   - lengths: T of each packed sequence, summing to N.
    /// - Returns: `(N, E)`.
    func callAsFunction(_ hidden: Tensor, lengths: [Int]) -> Tensor {
        let queryKeyValue = Tensor.linear(hidden, weight: queryKeyValueWeight, bias: queryKeyValueBias)  // (N, 3E)
        let attended = selfAttention(queryKeyValue, lengths: lengths)  // (N, E)
        let afterAttention = Self.addLayerNorm(attentionOutput(attended), residual: hidden, attentionLayerNorm)
        let expanded = intermediate(afterAttention, activation: activation)  // (N, F)
        return Self.addLayerNorm(output(expanded), residual: afterAttention, outputLayerNorm)
    }

    /// `norm(x + residual)`, computed in place in `x`, a fresh layer output nothing else reads.
    private static func addLayerNorm(_ x: Tensor, residual: Tensor, _ norm: LayerNorm) -> Tensor {
        guard let weight = norm.weight, let bias = norm.bias else { return norm(x + residual) }
        let width = x.shape[x.rank - 1]
        x.withUnsafeMutableBufferPointer { values in
            residual.withUnsafeBufferPointer { residual in
                weight.withUnsafeBufferPointer { weight in
                    bias.withUnsafeBufferPointer { bias in
                        guard let values = values.baseAddress, let residual = residual.baseAddress,
                            let weight = weight.baseAddress, let bias = bias.baseAddress
                        else { return }
                        TransformerKernels.addLayerNormInPlace(
                            values, residual: residual, rows: x.count / width, weight: weight, bias: bias,
                            width: width, epsilon: norm.epsilon)
                    }
                }
            }
        }
        return x
    }

    /// softmax(q·kᵀ/√D)·v per head, each sequence attending only to its own tokens.
    /// - Parameter queryKeyValue: `(N, 3E)`, each row `[q | k | v]`.
    /// - Returns: `(N, E)`.
    private func selfAttention(_ queryKeyValue: Tensor, lengths: [Int]) -> Tensor {
        let width = queryKeyValue.shape[1] / 3
        let attended = Tensor.zeros([queryKeyValue.shape[0], width])
        queryKeyValue.withUnsafeBufferPointer { source in
            attended.withUnsafeMutableBufferPointer { target in
                guard let source = source.baseAddress, let target = target.baseAddress else { return }
                TransformerKernels.selfAttention(
                    queryKeyValue: source, lengths: lengths, heads: heads, headSize: width / heads, output: target)
            }
        }
        return attended
    }
}

/// The BERT encoder: embeddings, then `num_hidden_layers` blocks. Returns the last hidden state.
public struct BertModel: PretrainedModel, Sendable {
    public let configuration: BertConfiguration
    let embeddings: BertEmbeddings  // embeddings
    let layers: [BertLayer]  // encoder.layer.<i>

    public init(configuration: BertConfiguration, scope: WeightScope) throws {
        guard configuration.hiddenSize % configuration.numAttentionHeads == 0 else {
            throw WeightError.badConfiguration(
                path: "config.json",
                reason: "hidden_size \(configuration.hiddenSize) does not split into "
                    + "\(configuration.numAttentionHeads) attention heads")
        }
        guard (configuration.positionEmbeddingType ?? "absolute") == "absolute" else {
            throw WeightError.badConfiguration(
                path: "config.json",
                reason: "position_embedding_type \(configuration.positionEmbeddingType ?? "") is not supported")
        }
        let activation = try UnaryOp.named(configuration.hiddenAct, configuration: "config.json")
        self.configuration = configuration
        embeddings = try BertEmbeddings(configuration: configuration, scope: scope.scope("embeddings"))
        layers = try (0..<configuration.numHiddenLayers).map { index in
            try BertLayer(
                configuration: configuration, activation: activation, scope: scope.scope("encoder.layer.\(index)"))
        }
    }

    /// The last hidden state of a batch of sequences, packed.
    /// - Parameter sequences: token ids, each sequence at most `max_position_embeddings` long, every id
    ///   in `0..<vocab_size`.
    /// - Returns: `(N, E)`: the rows of sequence 0, then those of sequence 1, and so on.
    public func callAsFunction(_ sequences: [[Int32]]) -> Tensor {
        let lengths = sequences.map(\.count)
        return layers.reduce(embeddings(sequences)) { hidden, layer in layer(hidden, lengths: lengths) }
    }
}
