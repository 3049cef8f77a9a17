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

    private init(weight: Tensor, bias: Tensor?) {
        (self.weight, self.bias) = (weight, bias)
    }

    /// This layer followed by `norm` in evaluation, as one layer.
    public func folding(_ norm: BatchNorm) -> Linear {
        let (weight, bias) = norm.folded(weight: weight, bias: bias)
        return Linear(weight: weight, bias: bias)
    }

    /// Applies the layer, then `activation` fused into the GEMM epilogue when nothing records.
    /// - Parameter x: `(…, inFeatures)`; the result is `(…, outFeatures)`.
    public func callAsFunction(_ x: Tensor, activation: UnaryOp? = nil) -> Tensor {
        Tensor.linear(x, weight: weight, bias: bias, activation: activation)
    }
}
