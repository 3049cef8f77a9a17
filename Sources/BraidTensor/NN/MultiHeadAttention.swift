/// Multi-head attention with separate query/key/value/output projections (keys `q_proj`, `k_proj`,
/// `v_proj`, `out_proj`, as in HuggingFace's BART/CLIP attention).
///
/// Dimension legend: B batch, T query positions, S context positions, E model width, H heads,
/// D = E/H head size.
public struct MultiHeadAttention: Sendable {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear
    public let heads: Int

    /// - Parameters:
    ///   - dimension: E, the width of queries and of the output.
    ///   - contextDimension: The width of the context in cross-attention; defaults to E.
    public init(scope: WeightScope, dimension: Int, heads: Int, contextDimension: Int? = nil) throws {
        precondition(dimension % heads == 0, "width \(dimension) does not split into \(heads) heads")
        let context = contextDimension ?? dimension
        query = try Linear(scope: scope.scope("q_proj"), inFeatures: dimension, outFeatures: dimension)
        key = try Linear(scope: scope.scope("k_proj"), inFeatures: context, outFeatures: dimension)
        value = try Linear(scope: scope.scope("v_proj"), inFeatures: context, outFeatures: dimension)
        output = try Linear(scope: scope.scope("out_proj"), inFeatures: dimension, outFeatures: dimension)
        self.heads = heads
    }

    /// Self-attention over `x`, or cross-attention from `x` to `context`.
    /// - Parameters:
    ///   - x: `(B, T, E)`.
    ///   - context: `(B, S, contextDimension)`, or `nil` for self-attention.
    ///   - mask: Broadcastable to `(B, H, T, S)`.
    /// - Returns: `(B, T, E)`.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil, mask: AttentionMask? = nil) -> Tensor {
        let source = context ?? x
        let (batch, positions, width) = (x.shape[0], x.shape[1], x.shape[2])
        let headSize = width / heads
        // (B, T, E) -> (B, T, H, D) -> (B, H, T, D)
        func splitHeads(_ projected: Tensor) -> Tensor {
            projected.reshaped([batch, projected.shape[1], heads, headSize]).permuted([0, 2, 1, 3])
        }
        let attended = Tensor.scaledDotProductAttention(
            query: splitHeads(query(x)), key: splitHeads(key(source)), value: splitHeads(value(source)), mask: mask)
        // (B, H, T, D) -> (B, T, H, D) -> (B, T, E)
        return output(attended.permuted([0, 2, 1, 3]).reshaped([batch, positions, width]))
    }
}
