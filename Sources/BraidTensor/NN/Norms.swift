/// Normalisation layers (keys `weight`, `bias`, initialised to 1 and 0 as in PyTorch).

/// Layer normalisation over the last axis (`nn.LayerNorm`).
public struct LayerNorm: Sendable {
    /// `(dimension)`, or `nil` without an affine transform.
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    /// Loads or creates `weight` (ones) and `bias` (zeros) of length `dimension` in `scope`.
    /// - Parameter affine: Without it, the layer only normalises and has no parameters.
    public init(scope: WeightScope, dimension: Int, epsilon: Float = 1e-5, affine: Bool = true) throws {
        weight = affine ? try scope.parameter("weight", shape: [dimension], initializer: .ones) : nil
        bias = affine ? try scope.parameter("bias", shape: [dimension], initializer: .zeros) : nil
        self.epsilon = epsilon
    }

    /// - Parameter x: `(…, dimension)`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
    }
}

/// Group normalisation over `(N, C, …)` (`nn.GroupNorm`).
public struct GroupNorm: Sendable {
    public let groups: Int
    /// `(channels)`, or `nil` without an affine transform.
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    /// Loads or creates per-channel `weight` (ones) and `bias` (zeros) in `scope`.
    /// - Parameter groups: Must divide `channels`.
    public init(scope: WeightScope, groups: Int, channels: Int, epsilon: Float = 1e-5, affine: Bool = true) throws {
        precondition(channels % groups == 0, "\(channels) channels do not split into \(groups) groups")
        self.groups = groups
        weight = affine ? try scope.parameter("weight", shape: [channels], initializer: .ones) : nil
        bias = affine ? try scope.parameter("bias", shape: [channels], initializer: .zeros) : nil
        self.epsilon = epsilon
    }

    /// - Parameter x: `(N, channels, …)`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon)
    }
}

/// Batch normalisation over the channels of `(N, C, …)` (`nn.BatchNorm1d` / `nn.BatchNorm2d`; keys `weight`,
/// `bias` and the buffers `running_mean`, `running_var`).
public struct BatchNorm: Sendable {
    /// `(channels)`, initialised to ones.
    public let weight: Tensor
    /// `(channels)`, initialised to zeros.
    public let bias: Tensor
    /// `(channels)` buffer: the estimate of each channel's mean that evaluation normalises with.
    public let runningMean: Tensor
    /// `(channels)` buffer: the estimate of each channel's variance.
    public let runningVariance: Tensor
    public let momentum: Float
    public let epsilon: Float

    /// Loads or creates the affine parameters and the running statistics (mean 0, variance 1) in `scope`.
    public init(scope: WeightScope, channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) throws {
        weight = try scope.parameter("weight", shape: [channels], initializer: .ones)
        bias = try scope.parameter("bias", shape: [channels], initializer: .zeros)
        runningMean = try scope.buffer("running_mean", shape: [channels], initializer: .zeros)
        runningVariance = try scope.buffer("running_var", shape: [channels], initializer: .ones)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// - Parameters:
    ///   - x: `(N, channels, …)`.
    ///   - training: Normalise by the batch and update the running statistics, or normalise by them.
    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.batchNorm(
            runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias, training: training,
            momentum: momentum, epsilon: epsilon)
    }

    /// The weight `(out, …)` and bias `(out)` of a layer that this norm follows, with the norm's evaluation map
    /// `y = x·scale + shift` folded in: each output's weights scaled and its bias mapped, so inference skips a pass
    /// over the layer's output.
    func folded(weight layerWeight: Tensor, bias layerBias: Tensor?) -> (weight: Tensor, bias: Tensor) {
        let (mean, variance, gain, offset) = (
            runningMean.scalars, runningVariance.scalars, weight.scalars, bias.scalars
        )
        let outputs = layerWeight.shape[0]
        precondition(mean.count == outputs, "batch norm of \(mean.count) channels after a layer of \(outputs)")
        let scale = mean.indices.map { gain[$0] / (variance[$0] + epsilon).squareRoot() }
        let perOutput = layerWeight.count / outputs
        var weights = layerWeight.scalars
        for output in 0..<outputs {
            for index in 0..<perOutput { weights[output * perOutput + index] *= scale[output] }
        }
        let layerBiases = layerBias?.scalars ?? [Float](repeating: 0, count: outputs)
        let biases: [Float] = (0..<outputs).map { output in
            (layerBiases[output] - mean[output]) * scale[output] + offset[output]
        }
        return (Tensor(weights, shape: layerWeight.shape), Tensor(biases, shape: [outputs]))
    }
}
