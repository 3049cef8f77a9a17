/// Convolution layers over `Tensor.conv2d` / `convTranspose2d` / `conv1d` (keys `weight`, `bias`,
/// PyTorch's layouts and default initialisation).

/// A 2-D convolution layer (`nn.Conv2d`).
public struct Conv2d: Sendable {
    /// `(out, in/groups, kh, kw)`.
    public let weight: Tensor
    /// `(out)`, or `nil`.
    public let bias: Tensor?
    public let stride: Size2D
    public let padding: Size2D
    public let dilation: Size2D
    public let groups: Int
    /// How the images it takes and gives lie in memory; the weights are the same in every layout.
    public let layout: ImageLayout

    /// Loads or creates `weight` `(out, in/groups, kh, kw)` and, if `bias`, `bias` `(out)` in `scope`.
    public init(
        scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Size2D, stride: Size2D = 1,
        padding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, bias: Bool = true,
        layout: ImageLayout = .channelsFirst
    ) throws {
        let shape = [outChannels, inChannels / groups, kernel.height, kernel.width]
        let initializer = Initializer.pytorchDefault(fanIn: shape[1] * kernel.height * kernel.width)
        weight = try scope.parameter("weight", shape: shape, initializer: initializer)
        self.bias = bias ? try scope.parameter("bias", shape: [outChannels], initializer: initializer) : nil
        (self.stride, self.padding, self.dilation, self.groups, self.layout) =
            (stride, padding, dilation, groups, layout)
    }

    private init(weight: Tensor, bias: Tensor?, like other: Conv2d) {
        (self.weight, self.bias) = (weight, bias)
        (self.stride, self.padding, self.dilation, self.groups, self.layout) =
            (other.stride, other.padding, other.dilation, other.groups, other.layout)
    }

    /// This convolution followed by `norm` in evaluation, as one convolution.
    public func folding(_ norm: BatchNorm) -> Conv2d {
        let (weight, bias) = norm.folded(weight: weight, bias: bias)
        return Conv2d(weight: weight, bias: bias, like: self)
    }

    /// Applies the convolution, then `activation` (in place when nothing records).
    /// - Parameter x: `(N, in, H, W)`, or as ``layout`` lays out its channels; the result is `(N, out, outH, outW)`,
    ///   or as ``layout`` lays out its channels.
    public func callAsFunction(_ x: Tensor, activation: UnaryOp? = nil) -> Tensor {
        Tensor.conv2d(
            x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
            layout: layout
        )
        .applyingInPlaceIfUnrecorded(activation)
    }
}

/// A 1-D convolution layer (`nn.Conv1d`).
public struct Conv1d: Sendable {
    /// `(out, in/groups, k)`.
    public let weight: Tensor
    /// `(out)`, or `nil`.
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int
    public let dilation: Int
    public let groups: Int

    /// Loads or creates `weight` `(out, in/groups, k)` and, if `bias`, `bias` `(out)` in `scope`.
    public init(
        scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true
    ) throws {
        let initializer = Initializer.pytorchDefault(fanIn: inChannels / groups * kernel)
        weight = try scope.parameter(
            "weight", shape: [outChannels, inChannels / groups, kernel], initializer: initializer)
        self.bias = bias ? try scope.parameter("bias", shape: [outChannels], initializer: initializer) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// - Parameter x: `(N, in, L)`; the result is `(N, out, outL)`.
    public func callAsFunction(_ x: Tensor, activation: UnaryOp? = nil) -> Tensor {
        Tensor.conv1d(
            x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups
        )
        .applyingInPlaceIfUnrecorded(activation)
    }
}

/// A 2-D transposed convolution layer (`nn.ConvTranspose2d`).
public struct ConvTranspose2d: Sendable {
    /// `(in, out/groups, kh, kw)`.
    public let weight: Tensor
    /// `(out)`, or `nil`.
    public let bias: Tensor?
    public let stride: Size2D
    public let padding: Size2D
    public let outputPadding: Size2D
    public let dilation: Size2D
    public let groups: Int
    /// How the images it takes and gives lie in memory; the weights are the same in every layout.
    public let layout: ImageLayout

    /// Loads or creates `weight` `(in, out/groups, kh, kw)` and, if `bias`, `bias` `(out)` in `scope`.
    public init(
        scope: WeightScope, inChannels: Int, outChannels: Int, kernel: Size2D, stride: Size2D = 1,
        padding: Size2D = 0, outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, bias: Bool = true,
        layout: ImageLayout = .channelsFirst
    ) throws {
        let shape = [inChannels, outChannels / groups, kernel.height, kernel.width]
        // PyTorch computes fan-in from weight.size(1), which here is out/groups.
        let initializer = Initializer.pytorchDefault(fanIn: shape[1] * kernel.height * kernel.width)
        weight = try scope.parameter("weight", shape: shape, initializer: initializer)
        self.bias = bias ? try scope.parameter("bias", shape: [outChannels], initializer: initializer) : nil
        (self.stride, self.padding, self.outputPadding, self.dilation, self.groups, self.layout) =
            (stride, padding, outputPadding, dilation, groups, layout)
    }

    /// - Parameter x: `(N, in, H, W)`, or as ``layout`` lays out its channels; the result is `(N, out, outH, outW)`,
    ///   or as ``layout`` lays out its channels.
    public func callAsFunction(_ x: Tensor, activation: UnaryOp? = nil) -> Tensor {
        Tensor.convTranspose2d(
            x, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
            dilation: dilation, groups: groups, layout: layout
        ).applyingInPlaceIfUnrecorded(activation)
    }
}
