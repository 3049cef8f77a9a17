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
