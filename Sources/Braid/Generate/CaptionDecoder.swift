import BraidTensor

/// The caption head: an autoregressive transformer decoder that writes a caption word by word while
/// cross-attending to the fused tokens of an item's parts (Vaswani et al., 2017, the decoder half, pre-norm as in
/// GPT-2).
///
///     <s> w₀ … w_{T−2} ─ token + position embedding (B, T, W)
///        ─ N × [x + attn(LN x) causal; x + attn(LN x → fused tokens, missing parts hidden); x + MLP(LN x)]
///        ─ LN ─ Linear ─▶ logits (B, T, V): position t scores word t
///
/// Dimension legend: B batch, T caption positions, S fused tokens, F their width, W width, V vocabulary.
struct CaptionDecoder: Sendable {
    struct Configuration: Codable, Sendable, Equatable {
        var width = 64
        var heads = 4
        var layers = 2
        /// The longest caption, end marker included.
        var maxLength = 16

        enum CodingKeys: String, CodingKey {
            case width, heads, layers
            case maxLength = "max_length"
        }
    }

    /// One decoder layer: causal self-attention, cross-attention to the fused tokens, MLP, each pre-norm.
    struct Layer: Sendable {
        let selfAttentionNorm: LayerNorm
        let selfAttention: MultiHeadAttention
        let crossAttentionNorm: LayerNorm
        let crossAttention: MultiHeadAttention
        let feedForwardNorm: LayerNorm
        let feedForward: MLP

        init(scope: WeightScope, width: Int, heads: Int, memoryWidth: Int) throws {
            selfAttentionNorm = try LayerNorm(scope: scope.scope("self_attention_norm"), dimension: width)
            selfAttention = try MultiHeadAttention(scope: scope.scope("self_attention"), dimension: width, heads: heads)
            crossAttentionNorm = try LayerNorm(scope: scope.scope("cross_attention_norm"), dimension: width)
            crossAttention = try MultiHeadAttention(
                scope: scope.scope("cross_attention"), dimension: width, heads: heads, contextDimension: memoryWidth)
            feedForwardNorm = try LayerNorm(scope: scope.scope("feed_forward_norm"), dimension: width)
            feedForward = try MLP(
                scope: scope.scope("feed_forward"), widths: [width, 4 * width, width], activation: .gelu)
        }

        /// - Parameters:
        ///   - x: (B, T, W).
        ///   - memory: (B, S, F).
        func callAsFunction(_ x: Tensor, memory: Tensor, memoryMask: AttentionMask) -> Tensor {
            let written = x + selfAttention(selfAttentionNorm(x), mask: .causal)
            let attended =
                written + crossAttention(crossAttentionNorm(written), context: memory, mask: memoryMask)
            return attended + feedForward(feedForwardNorm(attended))
        }
    }

    let configuration: Configuration
    /// (V, W).
    let tokenEmbedding: Tensor
    /// (maxLength, W).
    let positionEmbedding: Tensor
    let layers: [Layer]
    let norm: LayerNorm
    let head: Linear

    init(configuration: Configuration, vocabularySize: Int, memoryWidth: Int, scope: WeightScope) throws {
        self.configuration = configuration
        let width = configuration.width
        tokenEmbedding = try scope.parameter(
            "token_embedding", shape: [vocabularySize, width], initializer: .normal(standardDeviation: 0.02))
        positionEmbedding = try scope.parameter(
            "position_embedding", shape: [configuration.maxLength, width],
            initializer: .normal(standardDeviation: 0.02))
        layers = try (0..<configuration.layers).map { index in
            try Layer(
                scope: scope.scope("layers.\(index)"), width: width, heads: configuration.heads,
                memoryWidth: memoryWidth)
        }
        norm = try LayerNorm(scope: scope.scope("norm"), dimension: width)
        head = try Linear(scope: scope.scope("head"), inFeatures: width, outFeatures: vocabularySize)
    }

    /// The next-word logits at every position of `prefixes`, which all have the same length T ≤ maxLength.
    /// - Parameters:
    ///   - prefixes: B sequences of T ids, start marker first.
    ///   - memory: (B, S, F) fused tokens, row b for prefix b.
    ///   - memoryPresent: Per prefix, which of the S tokens it may attend to.
    /// - Returns: (B, T, V).
    func logits(prefixes: [[Int]], memory: Tensor, memoryPresent: [[Bool]]) -> Tensor {
        let length = prefixes.first?.count ?? 0
        // (B·T) ids -> (B, T, W), plus (T, W) broadcast over the batch.
        let embedded =
            tokenEmbedding.gatheringRows(prefixes.flatMap { $0 }, indexShape: [prefixes.count, length])
            + positionEmbedding.sliced(axis: 0, 0..<length)
        let mask = AttentionMask.keys(present: memoryPresent)
        let hidden = layers.reduce(embedded) { x, layer in layer(x, memory: memory, memoryMask: mask) }
        return head(norm(hidden))
    }
}
