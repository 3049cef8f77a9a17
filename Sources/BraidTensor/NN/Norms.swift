/// Normalisation layers (keys `weight`, `bias`, initialised to 1 and 0 as in PyTorch).

/// Layer normalisation over the last axis (`nn.LayerNorm`).
public struct LayerNorm: Sendable {
    /// `(dimension)`, or `nil` without an affine transform.
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    /// Loads or creates `weight` (ones) and `bias` (zeros) of length `dimension` in `scope`.
    /// - Parameter affine: Without it, the layer only normalises and has no parameters.
    public init(scope: WeightScope, dimension: Int, epsilon: Float = 1e-5, affine: Bool = true) throws {
        weight = affine ? try scope.parameter("weight", shape: [dimension], initializer: .ones) : nil
        bias = affine ? try scope.parameter("bias", shape: [dimension], initializer: .zeros) : nil
        self.epsilon = epsilon
    }

    /// - Parameter x: `(…, dimension)`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
    }
}

/// Group normalisation over `(N, C, …)` (`nn.GroupNorm`).
public struct GroupNorm: Sendable {
    public let groups: Int
    /// `(channels)`, or `nil` without an affine transform.
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    /// Loads or creates per-channel `weight` (ones) and `bias` (zeros) in `scope`.
    /// - Parameter groups: Must divide `channels`.
    public init(scope: WeightScope, groups: Int, channels: Int, epsilon: Float = 1e-5, affine: Bool = true) throws {
        precondition(channels % groups == 0, "\(channels) channels do not split into \(groups) groups")
        self.groups = groups
        weight = affine ? try scope.parameter("weight", shape: [channels], initializer: .ones) : nil
        bias = affine ? try scope.parameter("bias", shape: [channels], initializer: .zeros) : nil
        self.epsilon = epsilon
    }

    /// - Parameter x: `(N, channels, …)`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon)
    }
}
