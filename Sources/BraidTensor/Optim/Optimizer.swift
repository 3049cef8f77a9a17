/// An optimizer updates parameters in place from their `grad`.
public protocol Optimizer: AnyObject {
    /// The tensors it updates, in a fixed order (its per-parameter state follows this order).
    var parameters: [Tensor] { get }
    /// The step size; may be changed between steps for a schedule.
    var learningRate: Float { get set }
    /// Applies one update from the current gradients. Parameters without a gradient are skipped.
    func step()
}

extension Optimizer {
    /// Clears every parameter's gradient before the next backward pass.
    public func zeroGradients() {
        for parameter in parameters { parameter.grad = nil }
    }
}

/// Scales all gradients together so their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`).
/// - Returns: The norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var squares: Double = 0
    for gradient in parameters.compactMap(\.grad) {
        gradient.withUnsafeBufferPointer { values in for value in values { squares += Double(value * value) } }
    }
    let norm = Float(squares.squareRoot())
    // PyTorch's 1e-6 keeps the scale finite when the norm is zero.
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for gradient in parameters.compactMap(\.grad) {
            gradient.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] *= scale } }
        }
    }
    return norm
}
