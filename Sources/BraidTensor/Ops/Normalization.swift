import Foundation

/// Normalisation over the last axis, with an optional fused affine transform: the kernel of layer
/// norm, and of group norm after a reshape.

extension Tensor {
    /// Layer normalisation over the last axis: `(x - mean) / √(var + eps) · weight + bias`.
    /// - Parameters:
    ///   - weight: `(D)` scale, or `nil` for none.
    ///   - bias: `(D)` shift, or `nil` for none.
    ///   - epsilon: Added to the (biased) variance.
    public func layerNorm(weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        let width = shape[rank - 1]
        let rows = count / Swift.max(width, 1)
        precondition(weight.map { $0.shape == [width] } ?? true, "layerNorm weight shape for width \(width)")
        precondition(bias.map { $0.shape == [width] } ?? true, "layerNorm bias shape for width \(width)")
        let output = Tensor.uninitialized(shape)
        // x̂ and 1/σ per row, kept for backward.
        let normalized = weight == nil && bias == nil ? output : Tensor.uninitialized(shape)
        let inverseDeviations = Tensor.uninitialized([rows])
        let (scale, shift) = (weight?.pointer, bias?.pointer)
        Parallel.forEachChunk(rows, costPerItem: width) { chunk in
            for row in chunk {
                let (source, target) = (pointer + row * width, normalized.pointer + row * width)
                var mean: Float = 0
                for i in 0..<width { mean += source[i] }
                mean /= Float(width)
                var variance: Float = 0
                for i in 0..<width { variance += (source[i] - mean) * (source[i] - mean) }
                let inverseDeviation = 1 / (variance / Float(width) + epsilon).squareRoot()
                inverseDeviations.pointer[row] = inverseDeviation
                for i in 0..<width { target[i] = (source[i] - mean) * inverseDeviation }
                let out = output.pointer + row * width
                switch (scale, shift) {
                case (let scale?, let shift?): for i in 0..<width { out[i] = target[i] * scale[i] + shift[i] }
                case (let scale?, nil): for i in 0..<width { out[i] = target[i] * scale[i] }
                case (nil, let shift?): for i in 0..<width { out[i] = target[i] + shift[i] }
                case (nil, nil): break  // `normalized` is `output`
                }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.record(output, inputs: inputs) { gradient, _ in
            // With ĝ = g·weight: dx = (ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)) / σ.
            let inputGradient = Tensor.uninitialized(self.shape)
            Parallel.forEachChunk(rows, costPerItem: width) { chunk in
                for row in chunk {
                    let (g, xHat) = (gradient.pointer + row * width, normalized.pointer + row * width)
                    // ĝ, written into the input gradient's row and then corrected in place.
                    let target = inputGradient.pointer + row * width
                    if let scale {
                        for i in 0..<width { target[i] = g[i] * scale[i] }
                    } else {
                        target.update(from: g, count: width)
                    }
                    var (meanG, meanGX): (Float, Float) = (0, 0)
                    for i in 0..<width {
                        meanG += target[i]
                        meanGX += target[i] * xHat[i]
                    }
                    meanG /= Float(width)
                    meanGX /= Float(width)
                    let inverseDeviation = inverseDeviations.pointer[row]
                    for i in 0..<width { target[i] = (target[i] - meanG - xHat[i] * meanGX) * inverseDeviation }
                }
            }
            // Σ over rows of g·x̂ and of g; one thread, as every row adds into the same vector.
            let weightGradient = weight.map { _ in (gradient * normalized).reshapedView([rows, width]).sum(axes: [0]) }
            let biasGradient = bias.map { _ in gradient.reshapedView([rows, width]).sum(axes: [0]) }
            return [inputGradient] + (weight.map { _ in [weightGradient] } ?? [])
                + (bias.map { _ in [biasGradient] } ?? [])
        }
    }

    /// Group normalisation: channels split into `groups`, each normalised over its channels and
    /// all positions, then a per-channel affine transform.
    /// - Parameters:
    ///   - groups: Must divide the channel count.
    ///   - weight: `(C)`, or `nil`.
    ///   - bias: `(C)`, or `nil`.
    /// - Returns: The shape of `self`, `(N, C, …)`.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        precondition(rank >= 2 && shape[1] % groups == 0, "groupNorm: \(groups) groups for shape \(shape)")
        let channels = shape[1]
        // (N, C, …) -> (N, G, C/G·…): each group's values become one row.
        let normalized = reshaped([shape[0], groups, -1]).layerNorm(weight: nil, bias: nil, epsilon: epsilon).reshaped(
            shape)
        // (C) -> (C, 1, …) so it broadcasts over the positions.
        let channelShape = [channels] + [Int](repeating: 1, count: rank - 2)
        let scaled = weight.map { normalized * $0.reshaped(channelShape) } ?? normalized
        return bias.map { scaled + $0.reshaped(channelShape) } ?? scaled
    }
}
