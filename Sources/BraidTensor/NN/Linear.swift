/// A fully connected layer, `y = x·Wᵀ + b` (PyTorch's `nn.Linear`; keys `weight`, `bias`).
public struct Linear: Sendable {
    /// `(outFeatures, inFeatures)`.
    public let weight: Tensor
    /// `(outFeatures)`, or `nil` for a layer without bias.
    public let bias: Tensor?

    /// Loads or creates `weight` and, if `bias`, `bias` in `scope`.
    public init(scope: WeightScope, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        let initializer = Initializer.pytorchDefault(fanIn: inFeatures)
        weight = try scope.parameter("weight", shape: [outFeatures, inFeatures], initializer: initializer)
        self.bias = bias ? try scope.parameter("bias", shape: [outFeatures], initializer: initializer) : nil
    }

    /// Applies the layer, then `activation` fused into the GEMM epilogue when nothing records.
    /// - Parameter x: `(…, inFeatures)`; the result is `(…, outFeatures)`.
    public func callAsFunction(_ x: Tensor, activation: UnaryOp? = nil) -> Tensor {
        Tensor.linear(x, weight: weight, bias: bias, activation: activation)
    }
}

/// A stack of linear layers with an activation between them (keys `layers.0.weight`, …).
public struct MLP: Sendable {
    public let layers: [Linear]
    /// Applied after every layer but the last.
    public let activation: UnaryOp

    /// - Parameter widths: Input width, then each layer's output width (at least two entries).
    public init(scope: WeightScope, widths: [Int], activation: UnaryOp = .relu) throws {
        precondition(widths.count >= 2, "an MLP needs an input and an output width")
        layers = try (0..<(widths.count - 1)).map { index in
            try Linear(scope: scope.scope("layers.\(index)"), inFeatures: widths[index], outFeatures: widths[index + 1])
        }
        self.activation = activation
    }

    /// - Parameter x: `(…, widths.first)`; the result is `(…, widths.last)`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.enumerated().reduce(x) { hidden, layer in
            layer.element(hidden, activation: layer.offset < layers.count - 1 ? activation : nil)
        }
    }
}

/// A lookup table of learned vectors (PyTorch's `nn.Embedding`; key `weight`).
public struct Embedding: Sendable {
    /// `(count, dimension)`.
    public let weight: Tensor

    public init(scope: WeightScope, count: Int, dimension: Int) throws {
        weight = try scope.parameter("weight", shape: [count, dimension], initializer: .normal(standardDeviation: 1))
    }

    /// Looks up `ids`, laid out as `shape` (default flat); ids must lie in `0..<count`.
    /// - Returns: `shape + [dimension]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
        weight.gatheringRows(ids, indexShape: shape)
    }
}
