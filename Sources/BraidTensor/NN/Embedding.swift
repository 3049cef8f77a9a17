/// A lookup table of learned vectors (PyTorch's `nn.Embedding`; key `weight`).
public struct Embedding: Sendable {
    /// `(count, dimension)`.
    public let weight: Tensor

    /// Loads or creates the `(count, dimension)` table (standard normal when fresh, as PyTorch).
    public init(scope: WeightScope, count: Int, dimension: Int) throws {
        weight = try scope.parameter("weight", shape: [count, dimension], initializer: .normal(standardDeviation: 1))
    }

    /// Looks up `ids`, laid out as `shape` (default flat); ids must lie in `0..<count`.
    /// - Returns: `shape + [dimension]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
        weight.gatheringRows(ids, indexShape: shape)
    }
}
