import CTensorKernels
import Foundation

/// Softmax and log-softmax along any axis, numerically stable, with backward.

extension Tensor {
    /// exp(x - max) / Σ exp(x - max) along `axis` (negative counts from the end).
    public func softmax(axis: Int = -1) -> Tensor {
        alongLastAxis(axis) { $0.lastAxisSoftmax() }
    }

    /// x - max - log Σ exp(x - max) along `axis` (negative counts from the end).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        alongLastAxis(axis) { $0.lastAxisLogSoftmax() }
    }

    /// Applies a last-axis operation along `axis`: the kernels read contiguous rows, so another axis is swapped to
    /// the end and back (two copies, and the swaps carry the gradient).
    private func alongLastAxis(_ axis: Int, _ operation: (Tensor) -> Tensor) -> Tensor {
        let axis = Shape.axis(axis, rank: rank)
        if axis == rank - 1 { return operation(self) }
        return operation(transposed(axis, -1)).transposed(axis, -1)
    }

    private func lastAxisSoftmax() -> Tensor {
        let (width, output) = (shape[rank - 1], Tensor.uninitialized(shape))
        forEachRow(width: width) { row in
            let (source, target) = (pointer + row * width, output.pointer + row * width)
            braid_softmax(source, target, width)
        }
        return Tensor.record(output, inputs: [self]) { gradient, output in
            // dx = y · (g - Σ g·y)
            let inputGradient = Tensor.uninitialized(self.shape)
            self.forEachRow(width: width) { row in
                braid_softmax_backward(
                    output.pointer + row * width, gradient.pointer + row * width, inputGradient.pointer + row * width,
                    width)
            }
            return [inputGradient]
        }
    }

    private func lastAxisLogSoftmax() -> Tensor {
        let (width, output) = (shape[rank - 1], Tensor.uninitialized(shape))
        forEachRow(width: width) { row in
            let (source, target) = (pointer + row * width, output.pointer + row * width)
            // The exponentials go through `target`, which is then overwritten.
            let (peak, total) = TransformerKernels.shiftedExponentials(source, into: target, count: width)
            let shift = peak + Foundation.log(total)
            for i in 0..<width { target[i] = source[i] - shift }
        }
        return Tensor.record(output, inputs: [self]) { gradient, output in
            // dx = g - softmax · Σ g
            let inputGradient = Tensor.uninitialized(self.shape)
            self.forEachRow(width: width) { row in
                let (g, y, target) = (
                    gradient.pointer + row * width, output.pointer + row * width, inputGradient.pointer + row * width
                )
                var total: Float = 0
                for i in 0..<width { total += g[i] }
                for i in 0..<width { target[i] = g[i] - braid_exp(y[i]) * total }
            }
            return [inputGradient]
        }
    }

    /// Runs `body` for every row of `width` elements, rows split across the thread budget.
    @inline(__always)
    private func forEachRow(width: Int, _ body: (Int) -> Void) {
        Parallel.forEachChunk(count / Swift.max(width, 1), costPerItem: width) { rows in
            for row in rows { body(row) }
        }
    }
}
