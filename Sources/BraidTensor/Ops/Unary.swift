import CTensorKernels
import Foundation

/// The elementwise functions of one tensor, each with its derivative beside it.
public enum UnaryOp: Sendable, Equatable {
    case exp, log, sqrt, abs, sin, cos
    case relu, sigmoid, tanh, silu, softplus
    /// GELU with the exact Gaussian CDF, `0.5·x·(1 + erf(x/√2))` (BERT, PyTorch's default).
    case gelu
    /// GELU with the tanh approximation, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    case geluTanh
    /// GELU approximated as `x·σ(1.702·x)` (OpenAI's CLIP; transformers' "quick_gelu").
    case quickGelu

    /// √(2/π), the tanh-GELU scale.
    private static let tanhGeluScale: Float = 0.797_884_560_802_865_4
    private static let inverseSquareRootTwo: Float = 0.707_106_781_186_547_5
    private static let inverseSquareRootTwoPi: Float = 0.398_942_280_401_432_7

    /// Applies the function to `count` elements from `source` into `target` (which may alias it).
    func apply(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .exp: for i in 0..<count { target[i] = braid_exp(source[i]) }
        case .log: for i in 0..<count { target[i] = Foundation.log(source[i]) }
        case .sqrt: for i in 0..<count { target[i] = source[i].squareRoot() }
        case .abs: for i in 0..<count { target[i] = Swift.abs(source[i]) }
        case .sin: for i in 0..<count { target[i] = Foundation.sin(source[i]) }
        case .cos: for i in 0..<count { target[i] = Foundation.cos(source[i]) }
        case .relu: braid_relu(source, target, count)
        case .sigmoid: braid_sigmoid(source, target, count)
        case .tanh: for i in 0..<count { target[i] = Foundation.tanh(source[i]) }
        case .silu: braid_silu(source, target, count)
        case .softplus: braid_softplus(source, target, count)
        case .gelu: braid_gelu(source, target, count)
        case .quickGelu: braid_quick_gelu(source, target, count)
        case .geluTanh:
            for i in 0..<count {
                let x = source[i]
                target[i] = 0.5 * x * (1 + Foundation.tanh(Self.tanhGeluScale * (x + 0.044715 * x * x * x)))
            }
        }
    }

    /// `apply` with the elements split across the thread budget.
    func applyInChunks(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEachChunk(count) { range in
            apply(source + range.lowerBound, target + range.lowerBound, count: range.count)
        }
    }

    /// dy/dx at input `x` with output `y`.
    @inline(__always)
    func derivative(x: Float, y: Float) -> Float {
        switch self {
        case .exp: return y
        case .log: return 1 / x
        case .sqrt: return 0.5 / y
        case .abs: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .sin: return Foundation.cos(x)
        case .cos: return -Foundation.sin(x)
        case .relu: return x > 0 ? 1 : 0
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .silu:
            let s = 1 / (1 + braid_exp(-x))
            return s * (1 + x * (1 - s))
        case .softplus: return 1 / (1 + braid_exp(-x))
        case .quickGelu:
            let s = 1 / (1 + braid_exp(-1.702 * x))
            return s * (1 + 1.702 * x * (1 - s))
        case .gelu:
            // Φ(x) + x·φ(x)
            return 0.5 * (1 + braid_erf(x * Self.inverseSquareRootTwo))
                + x * Self.inverseSquareRootTwoPi * braid_exp(-0.5 * x * x)
        case .geluTanh:
            let t = Foundation.tanh(Self.tanhGeluScale * (x + 0.044715 * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Self.tanhGeluScale * (1 + 3 * 0.044715 * x * x)
        }
    }
}

extension Tensor {
    /// Applies `op` elementwise, recording its derivative.
    public func applying(_ op: UnaryOp) -> Tensor {
        let output = Tensor.uninitialized(shape)
        op.applyInChunks(pointer, output.pointer, count: count)
        return Tensor.record(output, inputs: [self]) { gradient, output in
            let inputGradient = Tensor.uninitialized(self.shape)
            let (x, y, g, target) = (self.pointer, output.pointer, gradient.pointer, inputGradient.pointer)
            Parallel.forEachChunk(self.count) { range in
                // The activations of training (ReLU after every convolution, a transformer's GELU, a U-Net's SiLU, the
                // sigmoid and softplus of a binary cross-entropy) get vectorised C loops of their own: the general loop's switch per element kept
                // them scalar (7% of a CNN's step, 15% of an autoencoder's).
                let start = range.lowerBound
                switch op {
                case .relu: braid_relu_backward(x + start, g + start, target + start, range.count)
                case .sigmoid: braid_sigmoid_backward(y + start, g + start, target + start, range.count)
                case .softplus: braid_softplus_backward(x + start, g + start, target + start, range.count)
                case .gelu: braid_gelu_backward(x + start, g + start, target + start, range.count)
                case .silu: braid_silu_backward(x + start, g + start, target + start, range.count)
                default: for i in range { target[i] = g[i] * op.derivative(x: x[i], y: y[i]) }
                }
            }
            return [inputGradient]
        }
    }

    /// Applies `op` in place when nothing records, else as a recorded op: the cheap epilogue of a
    /// GEMM whose output nobody else holds yet.
    func applyingInPlaceIfUnrecorded(_ op: UnaryOp?) -> Tensor {
        guard let op else { return self }
        guard !Tensor.willRecord(self) else { return applying(op) }
        op.applyInChunks(pointer, pointer, count: count)
        return self
    }

    /// Elementwise eˣ.
    public func exp() -> Tensor { applying(.exp) }
    /// Elementwise natural logarithm.
    public func log() -> Tensor { applying(.log) }
    /// Elementwise square root.
    public func sqrt() -> Tensor { applying(.sqrt) }
    /// Elementwise absolute value (derivative 0 at 0).
    public func abs() -> Tensor { applying(.abs) }
    /// Elementwise sine (timestep embeddings).
    public func sin() -> Tensor { applying(.sin) }
    /// Elementwise cosine.
    public func cos() -> Tensor { applying(.cos) }
    /// max(x, 0).
    public func relu() -> Tensor { applying(.relu) }
    /// 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor { applying(.sigmoid) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { applying(.tanh) }
    /// x · sigmoid(x), also called swish.
    public func silu() -> Tensor { applying(.silu) }
    /// log(1 + exp(x)), computed without overflow.
    public func softplus() -> Tensor { applying(.softplus) }
    /// GELU, exact (erf) form by default or the tanh approximation.
    public func gelu(approximateTanh: Bool = false) -> Tensor { applying(approximateTanh ? .geluTanh : .gelu) }
}
