/// Reshape, broadcast-expand, permute, concatenate, slice, row gather and sort, each with its backward.

extension Tensor {
    /// The same storage under a new shape, without recording (the kernel behind `reshaped`).
    func reshapedView(_ newShape: [Int]) -> Tensor {
        precondition(Shape.count(newShape) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// The same elements under a new shape; a view, never a copy. One dimension may be `-1`,
    /// inferred from the others.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        return Tensor.record(reshapedView(resolved), inputs: [self]) { gradient, _ in
            [gradient.reshapedView(self.shape)]
        }
    }

    /// Repeats the tensor along its length-1 (and missing leading) axes to fill `target`.
    public func expanded(to target: [Int]) -> Tensor {
        guard target != shape else { return self }
        let output = Tensor.uninitialized(target)
        let plan = BroadcastPlan(output: target, a: shape, b: shape)
        let (length, step) = (plan.runLength, plan.stepA)
        let (source, destination) = (pointer, output.pointer)
        plan.forEachRun { outStart, start, _ in
            for index in 0..<length { destination[outStart + index] = source[start + index * step] }
        }
        return Tensor.record(output, inputs: [self]) { gradient, _ in [gradient.reduced(toShape: self.shape)] }
    }

    /// Reorders the axes: output axis `i` is input axis `axes[i]`. Copies into contiguous storage.
    public func permuted(_ axes: [Int]) -> Tensor {
        let axes = axes.map { Shape.axis($0, rank: rank) }
        precondition(axes.sorted() == Array(0..<rank), "\(axes) is not a permutation of \(rank) axes")
        guard axes != Array(0..<rank) else { return self }
        let outputShape = axes.map { shape[$0] }
        // Axes of length 1 hold no order: when only they move, no element does, and a view serves.
        let longAxes = axes.filter { shape[$0] > 1 }
        guard longAxes != longAxes.sorted() else { return reshaped(outputShape) }
        let inputStrides = Shape.strides(shape)
        let output = Tensor.uninitialized(outputShape)
        let strides = axes.map { inputStrides[$0] }
        let (source, destination) = (pointer, output.pointer)
        let (length, step) = (outputShape[rank - 1], strides[rank - 1])
        let outer = Array(outputShape.dropLast())
        var counters = [Int](repeating: 0, count: outer.count)
        var inputOffset = 0
        for run in 0..<Shape.count(outer) {
            let (runSource, runTarget) = (source + inputOffset, destination + run * length)
            if step == 1 {
                runTarget.update(from: runSource, count: length)
            } else {
                for index in 0..<length { runTarget[index] = runSource[index * step] }
            }
            var axis = outer.count - 1
            while axis >= 0 {
                counters[axis] += 1
                inputOffset += strides[axis]
                if counters[axis] < outer[axis] { break }
                inputOffset -= strides[axis] * outer[axis]
                counters[axis] = 0
                axis -= 1
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in axes.enumerated() { inverse[axis] = position }
        return Tensor.record(output, inputs: [self]) { gradient, _ in [gradient.permuted(inverse)] }
    }

    /// Swaps two axes (a copy); `transposed()` swaps the last two.
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(Shape.axis(first, rank: rank), Shape.axis(second, rank: rank))
        return permuted(axes)
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let axis = Shape.axis(axis, rank: tensors[0].rank)
        var outputShape = tensors[0].shape
        outputShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        for tensor in tensors {
            var expected = outputShape
            expected[axis] = tensor.shape[axis]
            precondition(
                tensor.shape == expected, "cannot concatenate \(tensor.shape) along \(axis) into \(outputShape)")
        }
        let (outer, total, inner) = Shape.split(outputShape, at: axis)
        let output = Tensor.uninitialized(outputShape)
        var start = 0
        for tensor in tensors {
            let block = tensor.shape[axis] * inner
            for o in 0..<outer {
                (output.pointer + o * total * inner + start * inner).update(
                    from: tensor.pointer + o * block, count: block)
            }
            start += tensor.shape[axis]
        }
        return record(output, inputs: tensors) { gradient, _ in
            var begin = 0
            return tensors.map { tensor in
                defer { begin += tensor.shape[axis] }
                return tensor.requiresGrad ? gradient.sliced(axis: axis, begin..<begin + tensor.shape[axis]) : nil
            }
        }
    }

    /// The elements whose index along `axis` lies in `range`. A view when only leading axes are
    /// non-trivial before `axis`; otherwise a copy.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = Shape.axis(axis, rank: rank)
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) outside \(shape) axis \(axis)")
        let (outer, n, inner) = Shape.split(shape, at: axis)
        var outputShape = shape
        outputShape[axis] = range.count
        let output: Tensor
        if outer == 1 {
            output = Tensor(storage: storage, offset: offset + range.lowerBound * inner, shape: outputShape)
        } else {
            output = Tensor.uninitialized(outputShape)
            let block = range.count * inner
            for o in 0..<outer {
                (output.pointer + o * block).update(from: pointer + (o * n + range.lowerBound) * inner, count: block)
            }
        }
        return Tensor.record(output, inputs: [self]) { gradient, _ in
            let inputGradient = Tensor.zeros(self.shape)
            let block = range.count * inner
            for o in 0..<outer {
                (inputGradient.pointer + (o * n + range.lowerBound) * inner).update(
                    from: gradient.pointer + o * block, count: block)
            }
            return [inputGradient]
        }
    }

    /// Looks up rows of a 2-D table (an embedding lookup): the result has shape
    /// `indexShape + [columns]`.
    /// - Parameters:
    ///   - indices: Row numbers, each in `0..<shape[0]`.
    ///   - indexShape: How to lay out the looked-up rows (e.g. `[batch, tokens]`); defaults to flat.
    public func gatheringRows(_ indices: [Int], indexShape: [Int]? = nil) -> Tensor {
        precondition(rank == 2, "gatheringRows needs a 2-D table, got \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        let layout = indexShape ?? [indices.count]
        precondition(
            Shape.count(layout) == indices.count, "index shape \(layout) does not hold \(indices.count) indices")
        let output = Tensor.uninitialized(layout + [columns])
        for (position, row) in indices.enumerated() {
            precondition(row >= 0 && row < rows, "row index \(row) outside 0..<\(rows)")
            (output.pointer + position * columns).update(from: pointer + row * columns, count: columns)
        }
        return Tensor.record(output, inputs: [self]) { gradient, _ in
            let tableGradient = Tensor.zeros(self.shape)
            for (position, row) in indices.enumerated() {
                let (target, source) = (tableGradient.pointer + row * columns, gradient.pointer + position * columns)
                for column in 0..<columns { target[column] += source[column] }
            }
            return [tableGradient]
        }
    }

    /// Each row (along the last axis) sorted from the largest value down; the gradient of each value goes back to
    /// where it came from.
    public func sortedDescending() -> Tensor {
        guard let length = shape.last, count > 0 else { return self }
        let values = scalars
        let order = stride(from: 0, to: count, by: length).flatMap { start in
            (start..<start + length).sorted { values[$0] > values[$1] }
        }
        // (…, L) -> (N·L, 1), one value per table row, gathered in each row's order -> (N·L, 1) -> (…, L).
        return reshaped([count, 1]).gatheringRows(order).reshaped(shape)
    }
}
