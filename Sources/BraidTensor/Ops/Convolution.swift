/// Convolutions as im2col + GEMM: conv2d, its transpose, and conv1d as a conv2d of height 1.
///
/// Dimension legend: N batch, C input channels, O output channels, G groups, H×W input size,
/// kh×kw kernel, P = outH·outW output positions, K = (C/G)·kh·kw the length of one patch.

/// A pair of (height, width) values: stride, padding, dilation or kernel size. An integer literal
/// sets both.
public struct Size2D: Sendable, Equatable, ExpressibleByIntegerLiteral {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    public init(integerLiteral value: Int) {
        self.init(height: value, width: value)
    }
}

/// How one image's channels map to patch columns: the bookkeeping of im2col and its adjoint col2im.
struct ConvGeometry {
    let channels: Int
    let height: Int
    let width: Int
    let kernel: Size2D
    let stride: Size2D
    let padding: Size2D
    let dilation: Size2D
    let outHeight: Int
    let outWidth: Int

    init(channels: Int, height: Int, width: Int, kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        outHeight = (height + 2 * padding.height - dilation.height * (kernel.height - 1) - 1) / stride.height + 1
        outWidth = (width + 2 * padding.width - dilation.width * (kernel.width - 1) - 1) / stride.width + 1
    }

    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var patchLength: Int { channels * kernel.height * kernel.width }
    /// Columns of the column matrix: one per output position.
    var positions: Int { outHeight * outWidth }
    /// A 1×1 kernel with unit stride and no padding reads the image as its own column matrix.
    var isPointwise: Bool {
        kernel == 1 && stride == 1 && padding == 0
    }

    /// Visits every (column-matrix index, image index or nil for padding) pair in column order.
    @inline(__always)
    private func forEachPatchElement(_ body: (_ column: Int, _ pixel: Int?) -> Void) {
        var column = 0
        for channel in 0..<channels {
            for kernelRow in 0..<kernel.height {
                for kernelColumn in 0..<kernel.width {
                    for outRow in 0..<outHeight {
                        let row = outRow * stride.height - padding.height + kernelRow * dilation.height
                        let rowInside = row >= 0 && row < height
                        let rowStart = (channel * height + row) * width
                        for outColumn in 0..<outWidth {
                            let x = outColumn * stride.width - padding.width + kernelColumn * dilation.width
                            body(column, rowInside && x >= 0 && x < width ? rowStart + x : nil)
                            column += 1
                        }
                    }
                }
            }
        }
    }

    /// Copies image `(channels, height, width)` into columns `(patchLength, positions)`.
    func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        forEachPatchElement { column, pixel in columns[column] = pixel.map { image[$0] } ?? 0 }
    }

    /// Adds columns `(patchLength, positions)` back onto image `(channels, height, width)`: the
    /// adjoint of `im2col`, so overlapping patches sum.
    func col2im(_ columns: UnsafePointer<Float>, addingInto image: UnsafeMutablePointer<Float>) {
        forEachPatchElement { column, pixel in
            if let pixel { image[pixel] += columns[column] }
        }
    }
}

extension Tensor {
    /// Adds a per-channel bias to `(N, channels, spatial)` data in place.
    private func addChannelBias(_ bias: Tensor, batch: Int, channels: Int, spatial: Int) {
        for n in 0..<batch {
            for channel in 0..<channels {
                let value = bias.pointer[channel]
                let plane = pointer + (n * channels + channel) * spatial
                for index in 0..<spatial { plane[index] += value }
            }
        }
    }

    /// Sums `(N, channels, spatial)` over N and spatial: the gradient of a per-channel bias.
    private func channelSums() -> Tensor {
        sum(axes: [0, 2, 3])
    }

    /// 2-D convolution (cross-correlation, as PyTorch's `conv2d`).
    /// - Parameters:
    ///   - x: `(N, C, H, W)`.
    ///   - weight: `(O, C/groups, kh, kw)`.
    ///   - bias: `(O)` or `nil`.
    ///   - groups: Splits C and O into this many independent convolutions.
    /// - Returns: `(N, O, outH, outW)`.
    public static func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, groups: Int = 1
    ) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d needs (N, C, H, W) and (O, C/g, kh, kw)")
        let (batch, inChannels, outChannels) = (x.shape[0], x.shape[1], weight.shape[0])
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels not divisible by groups")
        precondition(weight.shape[1] * groups == inChannels, "conv2d weight \(weight.shape) does not take \(x.shape)")
        let (groupIn, groupOut) = (inChannels / groups, outChannels / groups)
        let geometry = ConvGeometry(
            channels: groupIn, height: x.shape[2], width: x.shape[3],
            kernel: Size2D(height: weight.shape[2], width: weight.shape[3]), stride: stride, padding: padding,
            dilation: dilation)
        let (patch, positions) = (geometry.patchLength, geometry.positions)
        precondition(positions > 0, "conv2d output would be empty for input \(x.shape)")
        let output = Tensor.uninitialized([batch, outChannels, geometry.outHeight, geometry.outWidth])
        let imageSize = groupIn * geometry.height * geometry.width
        let columns = geometry.isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: patch * positions)
        defer { columns?.deallocate() }
        for n in 0..<batch {
            for group in 0..<groups {
                let image = x.pointer + (n * groups + group) * imageSize
                if let columns { geometry.im2col(image, into: columns) }
                // (O/G, K) · (K, P) -> (O/G, P)
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: groupOut, n: positions, k: patch,
                    a: weight.pointer + group * groupOut * patch, lda: patch, b: columns ?? image, ldb: positions,
                    c: output.pointer + (n * groups + group) * groupOut * positions, ldc: positions)
            }
        }
        if let bias { output.addChannelBias(bias, batch: batch, channels: outChannels, spatial: positions) }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return record(output, inputs: inputs) { gradient, _ in
            let inputGradient = x.requiresGrad ? Tensor.zeros(x.shape) : nil
            let weightGradient = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: patch * positions)
            defer { scratch.deallocate() }
            for n in 0..<batch {
                for group in 0..<groups {
                    let image = x.pointer + (n * groups + group) * imageSize
                    let outputGradient = gradient.pointer + (n * groups + group) * groupOut * positions
                    let groupWeight = weight.pointer + group * groupOut * patch
                    if let weightGradient {
                        let patches: UnsafePointer<Float>
                        if geometry.isPointwise {
                            patches = UnsafePointer(image)
                        } else {
                            geometry.im2col(image, into: scratch)
                            patches = UnsafePointer(scratch)
                        }
                        // dW (O/G, K) += dY (O/G, P) · columnsᵀ (P, K)
                        BLAS.gemm(
                            transposeA: false, transposeB: true, m: groupOut, n: patch, k: positions,
                            a: outputGradient, lda: positions, b: patches, ldb: positions,
                            beta: 1, c: weightGradient.pointer + group * groupOut * patch, ldc: patch)
                    }
                    if let inputGradient {
                        let target = inputGradient.pointer + (n * groups + group) * imageSize
                        // dColumns (K, P) = Wᵀ (K, O/G) · dY (O/G, P), then folded back onto the image.
                        BLAS.gemm(
                            transposeA: true, transposeB: false, m: patch, n: positions, k: groupOut,
                            a: groupWeight, lda: patch, b: outputGradient, ldb: positions,
                            beta: geometry.isPointwise ? 1 : 0, c: geometry.isPointwise ? target : scratch,
                            ldc: positions)
                        if !geometry.isPointwise { geometry.col2im(scratch, addingInto: target) }
                    }
                }
            }
            return [inputGradient, weightGradient, bias?.requiresGrad == true ? gradient.channelSums() : nil]
        }
    }

    /// 2-D transposed convolution (PyTorch's `conv_transpose2d`): the adjoint of `conv2d`, used to
    /// upsample in decoders.
    /// - Parameters:
    ///   - x: `(N, C, H, W)`.
    ///   - weight: `(C, O/groups, kh, kw)`, PyTorch's layout.
    ///   - bias: `(O)` or `nil`.
    ///   - outputPadding: Extra rows/columns on the bottom/right, to pick among output sizes.
    /// - Returns: `(N, O, (H-1)·stride - 2·padding + dilation·(kh-1) + outputPadding + 1, …)`.
    public static func convTranspose2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
        outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1
    ) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "convTranspose2d needs (N, C, H, W) and (C, O/g, kh, kw)")
        let (batch, inChannels) = (x.shape[0], x.shape[1])
        precondition(weight.shape[0] == inChannels && inChannels % groups == 0, "convTranspose2d weight \(weight.shape) does not take \(x.shape)")
        let (groupIn, groupOut) = (inChannels / groups, weight.shape[1])
        let outChannels = groupOut * groups
        let kernel = Size2D(height: weight.shape[2], width: weight.shape[3])
        let outHeight = (x.shape[2] - 1) * stride.height - 2 * padding.height + dilation.height * (kernel.height - 1) + outputPadding.height + 1
        let outWidth = (x.shape[3] - 1) * stride.width - 2 * padding.width + dilation.width * (kernel.width - 1) + outputPadding.width + 1
        // The conv2d that maps this op's output back to its input; its columns are our GEMM result.
        let geometry = ConvGeometry(
            channels: groupOut, height: outHeight, width: outWidth, kernel: kernel, stride: stride, padding: padding,
            dilation: dilation)
        precondition(geometry.outHeight == x.shape[2] && geometry.outWidth == x.shape[3], "convTranspose2d geometry mismatch")
        let (patch, positions) = (geometry.patchLength, geometry.positions)
        let outputImage = groupOut * outHeight * outWidth
        let output = Tensor.zeros([batch, outChannels, outHeight, outWidth])
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: patch * positions)
        defer { columns.deallocate() }
        for n in 0..<batch {
            for group in 0..<groups {
                // columns (K, P) = Wᵀ (K, C/G) · x (C/G, P), folded onto the output image.
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: patch, n: positions, k: groupIn,
                    a: weight.pointer + group * groupIn * patch, lda: patch,
                    b: x.pointer + (n * groups + group) * groupIn * positions, ldb: positions,
                    c: columns, ldc: positions)
                geometry.col2im(columns, addingInto: output.pointer + (n * groups + group) * outputImage)
            }
        }
        if let bias { output.addChannelBias(bias, batch: batch, channels: outChannels, spatial: outHeight * outWidth) }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return record(output, inputs: inputs) { gradient, _ in
            let inputGradient = x.requiresGrad ? Tensor.uninitialized(x.shape) : nil
            let weightGradient = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: patch * positions)
            defer { scratch.deallocate() }
            for n in 0..<batch {
                for group in 0..<groups {
                    geometry.im2col(gradient.pointer + (n * groups + group) * outputImage, into: scratch)
                    let groupWeight = weight.pointer + group * groupIn * patch
                    let image = x.pointer + (n * groups + group) * groupIn * positions
                    if let inputGradient {
                        // dx (C/G, P) = W (C/G, K) · columns (K, P)
                        BLAS.gemm(
                            transposeA: false, transposeB: false, m: groupIn, n: positions, k: patch,
                            a: groupWeight, lda: patch, b: scratch, ldb: positions,
                            c: inputGradient.pointer + (n * groups + group) * groupIn * positions, ldc: positions)
                    }
                    if let weightGradient {
                        // dW (C/G, K) += x (C/G, P) · columnsᵀ (P, K)
                        BLAS.gemm(
                            transposeA: false, transposeB: true, m: groupIn, n: patch, k: positions,
                            a: image, lda: positions, b: scratch, ldb: positions,
                            beta: 1, c: weightGradient.pointer + group * groupIn * patch, ldc: patch)
                    }
                }
            }
            return [inputGradient, weightGradient, bias?.requiresGrad == true ? gradient.channelSums() : nil]
        }
    }

    /// 1-D convolution, computed as a conv2d over a height-1 image.
    /// - Parameters:
    ///   - x: `(N, C, L)`.
    ///   - weight: `(O, C/groups, k)`.
    /// - Returns: `(N, O, outL)`.
    public static func conv1d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        groups: Int = 1
    ) -> Tensor {
        precondition(x.rank == 3 && weight.rank == 3, "conv1d needs (N, C, L) and (O, C/g, k)")
        // (N, C, L) -> (N, C, 1, L); (O, C/g, k) -> (O, C/g, 1, k)
        let image = x.reshaped([x.shape[0], x.shape[1], 1, x.shape[2]])
        let kernel = weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]])
        let output = conv2d(
            image, weight: kernel, bias: bias, stride: Size2D(height: 1, width: stride),
            padding: Size2D(height: 0, width: padding), dilation: Size2D(height: 1, width: dilation), groups: groups)
        // (N, O, 1, outL) -> (N, O, outL)
        return output.reshaped([output.shape[0], output.shape[1], output.shape[3]])
    }
}
