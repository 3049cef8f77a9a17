import Foundation

/// Broadcasting add, subtract, multiply and divide, plus the scalar forms, each with its backward.

/// An elementwise binary function, specialised into the broadcast loop at compile time.
protocol BinaryKernel {
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum AddKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}
enum SubtractKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}
enum MultiplyKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}
enum DivideKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}

extension Tensor {
    /// The forward pass of every broadcasting binary op: no tape.
    static func broadcastApply<Kernel: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: Kernel.Type) -> Tensor {
        let outputShape = a.shape == b.shape ? a.shape : Shape.broadcast(a.shape, b.shape)
        let output = Tensor.uninitialized(outputShape)
        let (pa, pb, po) = (a.pointer, b.pointer, output.pointer)
        if a.shape == b.shape {
            Parallel.forEachChunk(output.count) { range in
                for index in range { po[index] = Kernel.apply(pa[index], pb[index]) }
            }
            return output
        }
        let plan = BroadcastPlan(output: outputShape, a: a.shape, b: b.shape)
        let (length, stepA, stepB) = (plan.runLength, plan.stepA, plan.stepB)
        plan.forEachRun { outStart, aStart, bStart in
            let (runA, runB, runOut) = (pa + aStart, pb + bStart, po + outStart)
            switch (stepA, stepB) {
            case (1, 1): for index in 0..<length { runOut[index] = Kernel.apply(runA[index], runB[index]) }
            case (1, 0):
                let scalar = runB.pointee
                for index in 0..<length { runOut[index] = Kernel.apply(runA[index], scalar) }
            case (0, 1):
                let scalar = runA.pointee
                for index in 0..<length { runOut[index] = Kernel.apply(scalar, runB[index]) }
            default:
                for index in 0..<length {
                    runOut[index] = Kernel.apply(runA[index * stepA], runB[index * stepB])
                }
            }
        }
        return output
    }

    /// Sums a broadcast gradient back down to the shape of the operand it flowed from.
    func reduced(toShape target: [Int]) -> Tensor {
        guard shape != target else { return self }
        let padded = [Int](repeating: 1, count: rank - target.count) + target
        let axes = (0..<rank).filter { padded[$0] == 1 && shape[$0] != 1 }
        return (axes.isEmpty ? self : sum(axes: axes, keepingDimensions: true)).reshaped(target)
    }

    /// Elementwise sum, broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        record(broadcastApply(a, b, AddKernel.self), inputs: [a, b]) { gradient, _ in
            [gradient.reduced(toShape: a.shape), gradient.reduced(toShape: b.shape)]
        }
    }

    /// Elementwise difference, broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        record(broadcastApply(a, b, SubtractKernel.self), inputs: [a, b]) { gradient, _ in
            [
                a.requiresGrad ? gradient.reduced(toShape: a.shape) : nil,
                b.requiresGrad ? (-gradient).reduced(toShape: b.shape) : nil,
            ]
        }
    }

    /// Elementwise product, broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        record(broadcastApply(a, b, MultiplyKernel.self), inputs: [a, b]) { gradient, _ in
            [
                a.requiresGrad ? (gradient * b).reduced(toShape: a.shape) : nil,
                b.requiresGrad ? (gradient * a).reduced(toShape: b.shape) : nil,
            ]
        }
    }

    /// Elementwise quotient, broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        record(broadcastApply(a, b, DivideKernel.self), inputs: [a, b]) { gradient, output in
            // d(a/b)/db = -(a/b)/b
            [
                a.requiresGrad ? (gradient / b).reduced(toShape: a.shape) : nil,
                b.requiresGrad ? (-(gradient * output) / b).reduced(toShape: b.shape) : nil,
            ]
        }
    }

    /// `x · scale + shift` in one pass; the primitive behind the tensor–scalar operators.
    public func affine(scale: Float, shift: Float = 0) -> Tensor {
        let output = Tensor.uninitialized(shape)
        let (source, target) = (pointer, output.pointer)
        for index in 0..<count { target[index] = source[index] * scale + shift }
        return Tensor.record(output, inputs: [self]) { gradient, _ in [gradient.affine(scale: scale)] }
    }

    /// Elementwise power with a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let output = Tensor.uninitialized(shape)
        let (source, target) = (pointer, output.pointer)
        for index in 0..<count { target[index] = Foundation.pow(source[index], exponent) }
        return Tensor.record(output, inputs: [self]) { gradient, _ in
            [gradient * self.pow(exponent - 1).affine(scale: exponent)]
        }
    }

    /// Negation and tensor–scalar arithmetic, all through `affine(scale:shift:)`.
    public static prefix func - (x: Tensor) -> Tensor { x.affine(scale: -1) }
    public static func + (x: Tensor, scalar: Float) -> Tensor { x.affine(scale: 1, shift: scalar) }
    public static func + (scalar: Float, x: Tensor) -> Tensor { x.affine(scale: 1, shift: scalar) }
    public static func - (x: Tensor, scalar: Float) -> Tensor { x.affine(scale: 1, shift: -scalar) }
    public static func - (scalar: Float, x: Tensor) -> Tensor { x.affine(scale: -1, shift: scalar) }
    public static func * (x: Tensor, scalar: Float) -> Tensor { x.affine(scale: scalar) }
    public static func * (scalar: Float, x: Tensor) -> Tensor { x.affine(scale: scalar) }
    public static func / (x: Tensor, scalar: Float) -> Tensor { x.affine(scale: 1 / scalar) }
}
