/// Convolutions: conv2d, its transpose, and conv1d as a conv2d of height 1. With oneDNN linked, its convolution
/// primitives run them (the transpose as the adjoint convolution run backwards); on Apple platforms, im2col + GEMM.
///
/// Dimension legend: N batch, C input channels, O output channels, G groups, H×W input size,
/// kh×kw kernel, P = outH·outW output positions, K = (C/G)·kh·kw the length of one patch.

/// A pair of (height, width) values: stride, padding, dilation or kernel size. An integer literal
/// sets both.
public struct Size2D: Sendable, Hashable, ExpressibleByIntegerLiteral {
    /// The vertical value.
    public var height: Int
    /// The horizontal value.
    public var width: Int

    /// A pair with separate vertical and horizontal values.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// The same value for both axes.
    public init(integerLiteral value: Int) {
        self.init(height: value, width: value)
    }
}

/// One convolution's shapes: input, kernel, stride, padding, dilation and the output size they give (PyTorch's floor
/// division); on Apple platforms also the bookkeeping of im2col and its adjoint col2im.
struct ConvGeometry: Hashable {
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
}

#if canImport(Accelerate)
    extension ConvGeometry {
        /// The output columns whose input column lies inside the image for kernel column `kernelColumn`:
        /// outside this range a patch reads padding.
        private func validOutputColumns(kernelColumn: Int) -> Range<Int> {
            let base = kernelColumn * dilation.width - padding.width  // input column of output column 0
            let lower = base >= 0 ? 0 : (-base + stride.width - 1) / stride.width
            let upper = base > width - 1 ? 0 : Swift.min(outWidth, (width - 1 - base) / stride.width + 1)
            return Swift.min(lower, upper)..<upper
        }

        /// Calls `body(columnRow, imageRow, inputColumnOfFirstOutput, validOutputColumns)` for every row
        /// of output positions of every patch element; `imageRow` is nil where the kernel row reads
        /// padding. Both copies below are this walk, one forwards and one adding back.
        /// - Parameter rowStride: Elements between patch rows of the column matrix (≥ positions;
        ///   larger when several images share one matrix side by side).
        @inline(__always)
        private func forEachOutputRow(
            rowStride: Int, _ body: (_ columnRow: Int, _ imageRow: Int?, _ base: Int, _ valid: Range<Int>) -> Void
        ) {
            var patchRow = 0
            for channel in 0..<channels {
                for kernelRow in 0..<kernel.height {
                    for kernelColumn in 0..<kernel.width {
                        let valid = validOutputColumns(kernelColumn: kernelColumn)
                        let base = kernelColumn * dilation.width - padding.width
                        for outRow in 0..<outHeight {
                            let row = outRow * stride.height - padding.height + kernelRow * dilation.height
                            body(
                                patchRow * rowStride + outRow * outWidth,
                                row >= 0 && row < height ? (channel * height + row) * width : nil, base, valid)
                        }
                        patchRow += 1
                    }
                }
            }
        }

        /// Copies image `(channels, height, width)` into columns `(patchLength, positions)`, whose
        /// rows lie `rowStride` elements apart (default: packed).
        func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
            let step = stride.width
            forEachOutputRow(rowStride: rowStride ?? positions) { columnRow, imageRow, base, valid in
                let target = columns + columnRow
                guard let imageRow, !valid.isEmpty else {
                    target.update(repeating: 0, count: outWidth)
                    return
                }
                target.update(repeating: 0, count: valid.lowerBound)
                let source = image + imageRow + base
                if step == 1 {
                    (target + valid.lowerBound).update(from: source + valid.lowerBound, count: valid.count)
                } else {
                    for column in valid { target[column] = source[column * step] }
                }
                (target + valid.upperBound).update(repeating: 0, count: outWidth - valid.upperBound)
            }
        }

        /// Adds columns `(patchLength, positions)` back onto image `(channels, height, width)`: the
        /// adjoint of `im2col`, so overlapping patches sum.
        func col2im(
            _ columns: UnsafePointer<Float>, addingInto image: UnsafeMutablePointer<Float>, rowStride: Int? = nil
        ) {
            let step = stride.width
            forEachOutputRow(rowStride: rowStride ?? positions) { columnRow, imageRow, base, valid in
                guard let imageRow else { return }
                let (source, target) = (columns + columnRow, image + imageRow + base)
                if step == 1 {
                    for column in valid { target[column] += source[column] }
                } else {
                    for column in valid { target[column * step] += source[column] }
                }
            }
        }
    }
#endif

extension Tensor {
    /// Adds a per-channel bias to images `(N, C, H, W)` or `(N, C/b, H, W, b)` in place.
    private func addChannelBias(_ bias: Tensor) {
        let plane = shape[2] * shape[3]
        guard rank == 5 else {
            for (index, start) in stride(from: 0, to: count, by: plane).enumerated() {
                let value = bias.pointer[index % bias.count]
                for offset in start..<(start + plane) { pointer[offset] += value }
            }
            return
        }
        // Each pixel of a block's plane holds that block's channels side by side.
        let block = shape[4]
        var values = pointer
        for _ in 0..<shape[0] {
            for first in stride(from: 0, to: bias.count, by: block) {
                let channels = bias.pointer + first
                for _ in 0..<plane {
                    for index in 0..<block { values[index] += channels[index] }
                    values += block
                }
            }
        }
    }

    /// Sums images `(N, C, H, W)` or `(N, C/b, H, W, b)` over all but the channels: a per-channel bias's gradient.
    private func channelSums() -> Tensor {
        // (C/b, b) -> (C) when blocked.
        rank == 5 ? sum(axes: [0, 2, 3]).reshaped([shape[1] * shape[4]]) : sum(axes: [0, 2, 3])
    }

    /// 2-D convolution (cross-correlation, as PyTorch's `conv2d`).
    /// - Parameters:
    ///   - x: `(N, C, H, W)`, or as `layout` lays out C channels.
    ///   - weight: `(O, C/groups, kh, kw)`, whatever the layout.
    ///   - bias: `(O)` or `nil`.
    ///   - groups: Splits C and O into this many independent convolutions.
    /// - Returns: `(N, O, outH, outW)`, or as `layout` lays out O channels.
    public static func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, groups: Int = 1, layout: ImageLayout = .channelsFirst
    ) -> Tensor {
        let (inChannels, height, width) = layout.channelsHeightWidth(of: x.shape)
        precondition(
            x.shape == layout.shape(batch: x.shape[0], channels: inChannels, height: height, width: width)
                && weight.rank == 4, "conv2d needs images in the layout \(layout) and (O, C/g, kh, kw)")
        let outChannels = weight.shape[0]
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels not divisible by groups")
        precondition(weight.shape[1] * groups == inChannels, "conv2d weight \(weight.shape) does not take \(x.shape)")
        let geometry = ConvGeometry(
            channels: inChannels / groups, height: height, width: width,
            kernel: Size2D(height: weight.shape[2], width: weight.shape[3]), stride: stride, padding: padding,
            dilation: dilation)
        precondition(geometry.positions > 0, "conv2d output would be empty for input \(x.shape)")
        #if canImport(Accelerate)
            // The column path walks planes.
            return layout.arrange(
                convolveByColumns(
                    layout.channelsFirst(x), weight: weight, bias: bias, geometry: geometry, groups: groups))
        #else
            return convolveWithDNNL(x, weight: weight, bias: bias, geometry: geometry, groups: groups, layout: layout)
        #endif
    }

    #if !canImport(Accelerate)
        /// conv2d by oneDNN's convolution primitives (see ``DNNLConvolution``).
        private static func convolveWithDNNL(
            _ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int, layout: ImageLayout
        ) -> Tensor {
            let convolution = DNNLConvolution(
                geometry: geometry, batch: x.shape[0], outChannels: weight.shape[0], groups: groups, layout: layout,
                threads: ThreadBudget.computeThreads)
            let output = Tensor.uninitialized(
                layout.shape(
                    batch: x.shape[0], channels: weight.shape[0], height: geometry.outHeight, width: geometry.outWidth))
            // The weight gradient reads the input again: keep the copy in the kernel's layout rather than reorder
            // it twice, and likewise share the output gradient's between the two gradients.
            let stagedSource = convolution.forward(
                source: x.pointer, weights: weight.pointer, bias: bias?.pointer, destination: output.pointer,
                keepingSource: willRecord(weight))
            return recordThroughDNNL(
                output, x: x, weight: weight, bias: bias,
                inputGradient: { gradient, result in
                    convolution.backwardData(
                        outputGradient: gradient.pointer, weights: weight.pointer, inputGradient: result.pointer)
                },
                weightGradient: { gradient, result, stagedGradient in
                    convolution.backwardWeights(
                        source: x.pointer, outputGradient: gradient.pointer, weightGradient: result.pointer,
                        stagedSource: stagedSource, stagedGradient: stagedGradient)
                })
        }

        /// Records an op whose gradients oneDNN computes. `inputGradient` writes x's gradient into its second
        /// argument and may hand back the output gradient as a step reordered it; `weightGradient` writes the
        /// weight's, reusing that copy.
        private static func recordThroughDNNL(
            _ output: Tensor, x: Tensor, weight: Tensor, bias: Tensor?,
            inputGradient: @escaping (_ gradient: Tensor, _ result: Tensor) -> DNNLStagedTensor?,
            weightGradient: @escaping (_ gradient: Tensor, _ result: Tensor, DNNLStagedTensor?) -> Void
        ) -> Tensor {
            let inputs = [x, weight] + (bias.map { [$0] } ?? [])
            return record(output, inputs: inputs) { gradient, _ in
                var xGradient: Tensor? = nil
                var stagedGradient: DNNLStagedTensor? = nil
                if x.requiresGrad {
                    let result = Tensor.uninitialized(x.shape)
                    stagedGradient = inputGradient(gradient, result)
                    xGradient = result
                }
                var wGradient: Tensor? = nil
                if weight.requiresGrad {
                    let result = Tensor.uninitialized(weight.shape)
                    weightGradient(gradient, result, stagedGradient)
                    wGradient = result
                }
                return [xGradient, wGradient, bias?.requiresGrad == true ? gradient.channelSums() : nil]
            }
        }
    #endif

    #if canImport(Accelerate)
        /// conv2d as im2col + GEMM, where oneDNN is not linked.
        private static func convolveByColumns(
            _ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int
        ) -> Tensor {
            let (batch, inChannels, outChannels) = (x.shape[0], x.shape[1], weight.shape[0])
            let (groupIn, groupOut) = (inChannels / groups, outChannels / groups)
            let (patch, positions) = (geometry.patchLength, geometry.positions)
            let imageSize = groupIn * geometry.height * geometry.width
            // Every sample's columns side by side, (G, K, N·P), so each group is one GEMM with N·P
            // columns rather than N small ones. Kept for the weight gradient when recording.
            let columnsPerGroup = patch * batch * positions
            let columns = Tensor.uninitialized([groups, patch, batch * positions])
            for n in 0..<batch {
                for group in 0..<groups {
                    geometry.im2col(
                        x.pointer + (n * groups + group) * imageSize,
                        into: columns.pointer + group * columnsPerGroup + n * positions, rowStride: batch * positions)
                }
            }
            // (O/G, K) · (K, N·P) -> (O/G, N·P) per group, i.e. (G, O/G, N, P) in all.
            let product = Tensor.uninitialized([groups, groupOut, batch, positions])
            for group in 0..<groups {
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: groupOut, n: batch * positions, k: patch,
                    a: weight.pointer + group * groupOut * patch, lda: patch,
                    b: columns.pointer + group * columnsPerGroup, ldb: batch * positions,
                    c: product.pointer + group * groupOut * batch * positions, ldc: batch * positions)
            }
            // (G, O/G, N, P) -> (N, O, P): a view when N = 1.
            let output =
                batch == 1 ? product : product.reshapedView([outChannels, batch, positions]).permuted([1, 0, 2])
            let result = output.reshapedView([batch, outChannels, geometry.outHeight, geometry.outWidth])
            if let bias { result.addChannelBias(bias) }
            let inputs = [x, weight] + (bias.map { [$0] } ?? [])
            return record(result, inputs: inputs) { gradient, _ in
                // (N, O, P) -> (O, N, P) = (G, O/G, N·P), the layout of the forward product.
                let outputGradient =
                    batch == 1 ? gradient : gradient.reshapedView([batch, outChannels, positions]).permuted([1, 0, 2])
                var weightGradient: Tensor? = nil
                if weight.requiresGrad {
                    let result = Tensor.uninitialized(weight.shape)
                    for group in 0..<groups {
                        // dW (O/G, K) = dY (O/G, N·P) · columnsᵀ (N·P, K)
                        BLAS.gemm(
                            transposeA: false, transposeB: true, m: groupOut, n: patch, k: batch * positions,
                            a: outputGradient.pointer + group * groupOut * batch * positions, lda: batch * positions,
                            b: columns.pointer + group * columnsPerGroup, ldb: batch * positions,
                            c: result.pointer + group * groupOut * patch, ldc: patch)
                    }
                    weightGradient = result
                }
                var inputGradient: Tensor? = nil
                if x.requiresGrad {
                    let result = Tensor.zeros(x.shape)
                    let columnGradient = Tensor.uninitialized([patch, batch * positions])
                    for group in 0..<groups {
                        // dColumns (K, N·P) = Wᵀ (K, O/G) · dY (O/G, N·P), folded back onto each image.
                        BLAS.gemm(
                            transposeA: true, transposeB: false, m: patch, n: batch * positions, k: groupOut,
                            a: weight.pointer + group * groupOut * patch, lda: patch,
                            b: outputGradient.pointer + group * groupOut * batch * positions, ldb: batch * positions,
                            c: columnGradient.pointer, ldc: batch * positions)
                        for n in 0..<batch {
                            geometry.col2im(
                                columnGradient.pointer + n * positions,
                                addingInto: result.pointer + (n * groups + group) * imageSize,
                                rowStride: batch * positions)
                        }
                    }
                    inputGradient = result
                }
                return [inputGradient, weightGradient, bias?.requiresGrad == true ? gradient.channelSums() : nil]
            }
        }
    #endif

    /// 2-D transposed convolution (PyTorch's `conv_transpose2d`): the adjoint of `conv2d`, used to
    /// upsample in decoders.
    /// - Parameters:
    ///   - x: `(N, C, H, W)`, or as `layout` lays out C channels.
    ///   - weight: `(C, O/groups, kh, kw)`, PyTorch's layout, whatever the images' layout.
    ///   - bias: `(O)` or `nil`.
    ///   - outputPadding: Extra rows/columns on the bottom/right, to pick among output sizes.
    /// - Returns: `(N, O, (H-1)·stride - 2·padding + dilation·(kh-1) + outputPadding + 1, …)`, or as `layout` lays
    ///   out O channels.
    public static func convTranspose2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
        outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1, layout: ImageLayout = .channelsFirst
    ) -> Tensor {
        let (inChannels, height, width) = layout.channelsHeightWidth(of: x.shape)
        precondition(
            x.shape == layout.shape(batch: x.shape[0], channels: inChannels, height: height, width: width)
                && weight.rank == 4, "convTranspose2d needs images in the layout \(layout) and (C, O/g, kh, kw)")
        precondition(
            weight.shape[0] == inChannels && inChannels % groups == 0,
            "convTranspose2d weight \(weight.shape) does not take \(x.shape)")
        let kernel = Size2D(height: weight.shape[2], width: weight.shape[3])
        let outHeight =
            (height - 1) * stride.height - 2 * padding.height + dilation.height * (kernel.height - 1)
            + outputPadding.height + 1
        let outWidth =
            (width - 1) * stride.width - 2 * padding.width + dilation.width * (kernel.width - 1)
            + outputPadding.width + 1
        // The conv2d that maps this op's output back to its input: this op is its data gradient.
        let geometry = ConvGeometry(
            channels: weight.shape[1], height: outHeight, width: outWidth, kernel: kernel, stride: stride,
            padding: padding, dilation: dilation)
        precondition(geometry.outHeight == height && geometry.outWidth == width, "convTranspose2d geometry mismatch")
        #if canImport(Accelerate)
            // The column path walks planes.
            return layout.arrange(
                transposeByColumns(
                    layout.channelsFirst(x), weight: weight, bias: bias, geometry: geometry, groups: groups))
        #else
            return transposeWithDNNL(x, weight: weight, bias: bias, geometry: geometry, groups: groups, layout: layout)
        #endif
    }

    #if !canImport(Accelerate)
        /// convTranspose2d by oneDNN's convolution primitives, run backwards: the forward pass is the adjoint
        /// convolution's data gradient, the input's gradient that convolution's forward pass, and the weight
        /// gradient its weight gradient with the roles of input and output swapped. The weight, (C, O/G, kh, kw),
        /// is that convolution's as it stands.
        private static func transposeWithDNNL(
            _ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int, layout: ImageLayout
        ) -> Tensor {
            let batch = x.shape[0]
            let adjoint = DNNLConvolution(
                geometry: geometry, batch: batch, outChannels: weight.shape[0], groups: groups, layout: layout,
                threads: ThreadBudget.computeThreads)
            let output = Tensor.uninitialized(
                layout.shape(
                    batch: batch, channels: geometry.channels * groups, height: geometry.height, width: geometry.width))
            // The weight gradient reads x again in the kernel's layout: the copy made here is kept for it.
            let stagedInput = adjoint.backwardData(
                outputGradient: x.pointer, weights: weight.pointer, inputGradient: output.pointer)
            if let bias {
                output.addChannelBias(bias)
            }
            return recordThroughDNNL(
                output, x: x, weight: weight, bias: bias,
                inputGradient: { gradient, result in
                    adjoint.forward(
                        source: gradient.pointer, weights: weight.pointer, bias: nil, destination: result.pointer,
                        keepingSource: weight.requiresGrad)
                },
                weightGradient: { gradient, result, stagedGradient in
                    adjoint.backwardWeights(
                        source: gradient.pointer, outputGradient: x.pointer, weightGradient: result.pointer,
                        stagedSource: stagedGradient, stagedGradient: stagedInput)
                })
        }
    #endif

    #if canImport(Accelerate)
        /// convTranspose2d as GEMM + col2im, where oneDNN is not linked.
        private static func transposeByColumns(
            _ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int
        ) -> Tensor {
            let (batch, inChannels) = (x.shape[0], x.shape[1])
            let (groupIn, groupOut) = (inChannels / groups, geometry.channels)
            let outChannels = groupOut * groups
            let (outHeight, outWidth) = (geometry.height, geometry.width)
            let (patch, positions) = (geometry.patchLength, geometry.positions)
            let outputImage = groupOut * outHeight * outWidth
            let output = Tensor.zeros([batch, outChannels, outHeight, outWidth])
            let span = batch * positions
            // (N, C, P) -> (C, N, P) = (G, C/G, N·P): every sample side by side, one GEMM per group.
            let samples = batch == 1 ? x : x.reshapedView([batch, inChannels, positions]).permuted([1, 0, 2])
            let columns = Tensor.uninitialized([patch, span])
            for group in 0..<groups {
                // columns (K, N·P) = Wᵀ (K, C/G) · x (C/G, N·P), folded onto each output image.
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: patch, n: span, k: groupIn,
                    a: weight.pointer + group * groupIn * patch, lda: patch,
                    b: samples.pointer + group * groupIn * span, ldb: span, c: columns.pointer, ldc: span)
                for n in 0..<batch {
                    geometry.col2im(
                        columns.pointer + n * positions,
                        addingInto: output.pointer + (n * groups + group) * outputImage, rowStride: span)
                }
            }
            if let bias {
                output.addChannelBias(bias)
            }
            let inputs = [x, weight] + (bias.map { [$0] } ?? [])
            return record(output, inputs: inputs) { gradient, _ in
                // The gradient's patches, (G, K, N·P), laid out like the forward columns.
                let gradientColumns = Tensor.uninitialized([groups, patch, span])
                for n in 0..<batch {
                    for group in 0..<groups {
                        geometry.im2col(
                            gradient.pointer + (n * groups + group) * outputImage,
                            into: gradientColumns.pointer + group * patch * span + n * positions, rowStride: span)
                    }
                }
                var inputGradient: Tensor? = nil
                if x.requiresGrad {
                    let result = Tensor.uninitialized([inChannels, batch, positions])
                    for group in 0..<groups {
                        // dx (C/G, N·P) = W (C/G, K) · columns (K, N·P)
                        BLAS.gemm(
                            transposeA: false, transposeB: false, m: groupIn, n: span, k: patch,
                            a: weight.pointer + group * groupIn * patch, lda: patch,
                            b: gradientColumns.pointer + group * patch * span, ldb: span,
                            c: result.pointer + group * groupIn * span, ldc: span)
                    }
                    // (C, N, P) -> (N, C, H, W)
                    inputGradient = (batch == 1 ? result : result.permuted([1, 0, 2])).reshapedView(x.shape)
                }
                var weightGradient: Tensor? = nil
                if weight.requiresGrad {
                    let result = Tensor.uninitialized(weight.shape)
                    for group in 0..<groups {
                        // dW (C/G, K) = x (C/G, N·P) · columnsᵀ (N·P, K)
                        BLAS.gemm(
                            transposeA: false, transposeB: true, m: groupIn, n: patch, k: span,
                            a: samples.pointer + group * groupIn * span, lda: span,
                            b: gradientColumns.pointer + group * patch * span, ldb: span,
                            c: result.pointer + group * groupIn * patch, ldc: patch)
                    }
                    weightGradient = result
                }
                return [inputGradient, weightGradient, bias?.requiresGrad == true ? gradient.channelSums() : nil]
            }
        }
    #endif

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
