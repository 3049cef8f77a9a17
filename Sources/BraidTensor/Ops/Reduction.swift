/// Sum, mean and max over axes, each with its backward.

extension Tensor {
    /// Sums over `axes` (negative counts from the end).
    /// - Parameters:
    ///   - axes: The axes to sum away.
    ///   - keepingDimensions: Keep each summed axis as length 1, so the result broadcasts against `self`.
    public func sum(axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let resolved = Set(axes.map { Shape.axis($0, rank: rank) }).sorted()
        var kept = shape
        var output = detached()
        for axis in resolved {
            output = output.sumKeepingAxis(axis)
            kept[axis] = 1
        }
        let finalShape = keepingDimensions ? kept : shape.indices.filter { !resolved.contains($0) }.map { shape[$0] }
        let result = output.reshapedView(finalShape)
        return Tensor.record(result, inputs: [self]) { gradient, _ in
            [gradient.reshapedView(kept).expanded(to: self.shape)]
        }
    }

    /// Sum of every element, as a scalar.
    public func sum() -> Tensor { sum(axes: Array(0..<rank)) }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = Set(axes.map { Shape.axis($0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepingDimensions: keepingDimensions) * (1 / Float(n))
    }

    /// Mean of every element, as a scalar.
    public func mean() -> Tensor { sum() * (1 / Float(count)) }

    /// Sums one axis, keeping it as length 1: the unrecorded kernel behind `sum`.
    private func sumKeepingAxis(_ axis: Int) -> Tensor {
        let (outer, n, inner) = Shape.split(shape, at: axis)
        var outputShape = shape
        outputShape[axis] = 1
        let output = Tensor.zeros(outputShape)
        let (source, target) = (pointer, output.pointer)
        for o in 0..<outer {
            let row = target + o * inner
            if inner == 1 {
                var total: Float = 0
                for j in 0..<n { total += source[o * n + j] }
                row.pointee = total
                continue
            }
            for j in 0..<n {
                let slab = source + (o * n + j) * inner
                for i in 0..<inner { row[i] += slab[i] }
            }
        }
        return output
    }

    /// The maximum along one axis; the gradient flows to the first maximal element.
    public func max(axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let axis = Shape.axis(axis, rank: rank)
        let (outer, n, inner) = Shape.split(shape, at: axis)
        precondition(n > 0, "max over an empty axis")
        var kept = shape
        kept[axis] = 1
        let output = Tensor.uninitialized(
            keepingDimensions ? kept : shape.enumerated().filter { $0.offset != axis }.map(\.element))
        var argmax = [Int](repeating: 0, count: outer * inner)
        let (source, target) = (pointer, output.pointer)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = source[o * n * inner + i]
                var bestIndex = 0
                for j in 1..<Swift.max(n, 1) where source[(o * n + j) * inner + i] > best {
                    best = source[(o * n + j) * inner + i]
                    bestIndex = j
                }
                target[o * inner + i] = best
                argmax[o * inner + i] = bestIndex
            }
        }
        return Tensor.record(output, inputs: [self]) { gradient, _ in
            let inputGradient = Tensor.zeros(self.shape)
            let (g, target) = (gradient.pointer, inputGradient.pointer)
            for o in 0..<outer {
                for i in 0..<inner { target[(o * n + argmax[o * inner + i]) * inner + i] = g[o * inner + i] }
            }
            return [inputGradient]
        }
    }

    /// The index of the largest element along `axis` (the first, on ties), for each position of
    /// the other axes, row-major: class predictions. Not differentiable.
    public func argmax(axis: Int) -> [Int] {
        let axis = Shape.axis(axis, rank: rank)
        let (outer, n, inner) = Shape.split(shape, at: axis)
        precondition(n > 0, "argmax over an empty axis")
        var indices = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let column = pointer + o * n * inner + i
                var best = column[0]
                for j in 1..<Swift.max(n, 1) where column[j * inner] > best {
                    best = column[j * inner]
                    indices[o * inner + i] = j
                }
            }
        }
        return indices
    }

    /// The index of the smallest element along `axis` (nearest codebook entry by distance).
    public func argmin(axis: Int) -> [Int] {
        withNoGrad { (-self).argmax(axis: axis) }
    }
}
