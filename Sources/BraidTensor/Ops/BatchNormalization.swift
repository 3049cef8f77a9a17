import CTensorKernels

/// Batch normalisation (Ioffe & Szegedy, "Batch Normalization", 2015), PyTorch's `batch_norm`, forward and
/// backward side by side.
///
/// Dimension legend: N batch, C channels, S positions per channel and sample (H·W, L or 1), M = N·S values
/// per channel.

extension Tensor {
    /// Normalises each channel of `(N, C, …)` and applies a per-channel affine transform.
    ///
    /// Training: each channel is normalised by the batch's mean and biased variance over N and the positions, and
    /// the running estimates move toward the batch's mean and unbiased variance,
    /// `running = (1 − momentum) · running + momentum · batch`, in place and outside the tape (PyTorch's rule).
    /// Evaluation: the running estimates normalise, so the op is a fixed per-channel affine map.
    /// - Parameters:
    ///   - runningMean: `(C)`, updated in training.
    ///   - runningVariance: `(C)`, updated in training.
    ///   - weight: `(C)` scale, or `nil`.
    ///   - bias: `(C)` shift, or `nil`.
    ///   - training: Use and update batch statistics (true) or use the running ones (false).
    ///   - momentum: The weight of the batch in the running estimates.
    ///   - epsilon: Added to the variance.
    /// - Returns: The shape of `self`.
    public func batchNorm(
        runningMean: Tensor, runningVariance: Tensor, weight: Tensor?, bias: Tensor?, training: Bool,
        momentum: Float = 0.1, epsilon: Float = 1e-5
    ) -> Tensor {
        precondition(rank >= 2, "batchNorm needs (N, C, …), got \(shape)")
        let (batch, channels) = (shape[0], shape[1])
        let positions = count / Swift.max(batch * channels, 1)
        for tensor in [runningMean, runningVariance] + [weight, bias].compactMap({ $0 }) {
            precondition(tensor.shape == [channels], "batchNorm: per-channel tensor \(tensor.shape) for \(channels)")
        }
        let values = batch * positions
        /// Calls `body` with the offset of channel `channel`'s S values in each sample.
        @inline(__always)
        func forEachPlane(_ channel: Int, _ body: (Int) -> Void) {
            for sample in 0..<batch { body((sample * channels + channel) * positions) }
        }
        precondition(!training || values > 1, "batchNorm in training needs more than one value per channel")
        // Per channel: the mean subtracted and 1/σ, from the batch in training, else from the running estimates.
        let means = Tensor.uninitialized([channels])
        let inverseDeviations = Tensor.uninitialized([channels])
        let output = Tensor.uninitialized(shape)
        let (source, target) = (pointer, output.pointer)
        let (scale, shift) = (weight?.pointer, bias?.pointer)
        Parallel.forEachChunk(channels, costPerItem: values) { chunk in
            for channel in chunk {
                var mean: Float
                var variance: Float
                if training {
                    var total: Float = 0
                    forEachPlane(channel) { plane in total += braid_sum(source + plane, positions) }
                    mean = total / Float(values)
                    var squares: Float = 0
                    forEachPlane(channel) { plane in
                        squares += braid_sum_squared_deviations(source + plane, positions, mean)
                    }
                    variance = squares / Float(values)
                    let running = (runningMean.pointer + channel, runningVariance.pointer + channel)
                    running.0.pointee = (1 - momentum) * running.0.pointee + momentum * mean
                    running.1.pointee =
                        (1 - momentum) * running.1.pointee + momentum * squares / Float(values - 1)
                } else {
                    mean = runningMean.pointer[channel]
                    variance = runningVariance.pointer[channel]
                }
                let inverseDeviation = 1 / (variance + epsilon).squareRoot()
                means.pointer[channel] = mean
                inverseDeviations.pointer[channel] = inverseDeviation
                // y = (x − mean)·(w/σ) + b, folded into one multiply-add.
                let gain = (scale?[channel] ?? 1) * inverseDeviation
                let offset = (shift?[channel] ?? 0) - mean * gain
                forEachPlane(channel) { plane in
                    braid_scale_shift(source + plane, target + plane, positions, gain, offset)
                }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.record(output, inputs: inputs) { gradient, _ in
            let inputGradient = self.requiresGrad ? Tensor.uninitialized(self.shape) : nil
            let weightGradient = weight.map { _ in Tensor.uninitialized([channels]) }
            let biasGradient = bias.map { _ in Tensor.uninitialized([channels]) }
            let g = gradient.pointer
            Parallel.forEachChunk(channels, costPerItem: values) { chunk in
                for channel in chunk {
                    let (mean, inverseDeviation) = (means.pointer[channel], inverseDeviations.pointer[channel])
                    // Σg and Σg·x̂ over the channel, x̂ = (x − mean)/σ recomputed rather than kept.
                    var (sumG, sumGX): (Float, Float) = (0, 0)
                    forEachPlane(channel) { plane in
                        braid_sum_gradient_moments(g + plane, source + plane, positions, mean, &sumG, &sumGX)
                    }
                    sumGX *= inverseDeviation
                    weightGradient?.pointer[channel] = sumGX
                    biasGradient?.pointer[channel] = sumG
                    guard let inputGradient else { continue }
                    let gain = (scale?[channel] ?? 1) * inverseDeviation
                    let dx = inputGradient.pointer
                    if training {
                        // dx = (w/σ)·(g − Σg/M − x̂·Σg·x̂/M): the batch statistics depend on every x.
                        let (meanG, meanGX) = (sumG / Float(values), sumGX / Float(values))
                        forEachPlane(channel) { plane in
                            braid_batch_norm_input_gradient(
                                g + plane, source + plane, dx + plane, positions, mean, inverseDeviation, gain, meanG,
                                meanGX)
                        }
                    } else {
                        forEachPlane(channel) { plane in braid_scale_shift(g + plane, dx + plane, positions, gain, 0) }
                    }
                }
            }
            return [inputGradient] + (weight.map { _ in [weightGradient] } ?? [])
                + (bias.map { _ in [biasGradient] } ?? [])
        }
    }
}
