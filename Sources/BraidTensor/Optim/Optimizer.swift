import CTensorKernels
/// An optimizer updates parameters in place from their `grad`.
public protocol Optimizer: AnyObject {
    /// The tensors it updates, in a fixed order (its per-parameter state follows this order).
    var parameters: [Tensor] { get }
    /// The step size; may be changed between steps for a schedule.
    var learningRate: Float { get set }
    /// Applies one update from the current gradients. Parameters without a gradient are skipped.
    func step()
    /// Everything the next `step` depends on besides the parameters (moments, step count), by name, for
    /// checkpoints.
    var state: [String: Tensor] { get }
    /// Restores `state` from a checkpoint.
    func loadState(_ state: [String: Tensor]) throws
}

/// An optimizer state from a checkpoint that does not fit the parameters.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case shapeMismatch(String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let name): "optimizer state has no '\(name)'"
        case .shapeMismatch(let name, let expected, let found):
            "optimizer state '\(name)' has shape \(found), expected \(expected)"
        }
    }

    /// The scalars of `state[name]`, which must have `parameter`'s shape.
    static func entry(_ state: [String: Tensor], _ name: String, like parameter: Tensor) throws -> [Float] {
        guard let tensor = state[name] else { throw missing(name) }
        guard tensor.shape == parameter.shape else {
            throw shapeMismatch(name, expected: parameter.shape, found: tensor.shape)
        }
        return tensor.scalars
    }
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
        // Per tensor in float, vectorised; across tensors in double.
        squares += Double(braid_sum_squared_deviations(gradient.pointer, gradient.count, 0))
    }
    let norm = Float(squares.squareRoot())
    // PyTorch's 1e-6 keeps the scale finite when the norm is zero.
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for gradient in parameters.compactMap(\.grad) {
            braid_scale_shift(gradient.pointer, gradient.pointer, gradient.count, scale, 0)
        }
    }
    return norm
}
