/// A pre-norm transformer layer, as in GPT-2: `x + attn(LN x)`, then `x + MLP(LN x)` with a 4× GELU MLP.
/// Keys `attention_norm`, `attention`, `feed_forward_norm`, `feed_forward`.
///
/// Dimension legend: B batch, T positions, W width.
public struct TransformerBlock: Sendable {
    public let attentionNorm: LayerNorm
    public let attention: MultiHeadAttention
    public let feedForwardNorm: LayerNorm
    public let feedForward: MLP

    public init(scope: WeightScope, width: Int, heads: Int) throws {
        attentionNorm = try LayerNorm(scope: scope.scope("attention_norm"), dimension: width)
        attention = try MultiHeadAttention(scope: scope.scope("attention"), dimension: width, heads: heads)
        feedForwardNorm = try LayerNorm(scope: scope.scope("feed_forward_norm"), dimension: width)
        feedForward = try MLP(scope: scope.scope("feed_forward"), widths: [width, 4 * width, width], activation: .gelu)
    }

    /// - Parameters:
    ///   - x: (B, T, W).
    ///   - mask: Which positions attend to which (``AttentionMask/causal`` for a decoder).
    /// - Returns: (B, T, W).
    public func callAsFunction(_ x: Tensor, mask: AttentionMask? = nil) -> Tensor {
        let attended = x + attention(attentionNorm(x), mask: mask)
        return attended + feedForward(feedForwardNorm(attended))
    }
}
