import CTensorKernels

/// Max and average pooling and nearest-neighbour upsampling over `(N, C, H, W)`, with backward.

extension Tensor {
    /// Max pooling; the gradient flows to the first maximal element of each window. Padding
    /// never wins (it counts as -∞, as in PyTorch).
    /// - Parameters:
    ///   - x: `(N, C, H, W)`.
    ///   - stride: Defaults to the kernel size.
    ///   - padding: At most half the kernel, as PyTorch requires, so every window overlaps the image.
    public static func maxPool2d(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) -> Tensor {
        let stride = stride ?? kernel
        precondition(
            2 * padding.height <= kernel.height && 2 * padding.width <= kernel.width,
            "maxPool2d padding \(padding) exceeds half the kernel \(kernel)")
        let geometry = poolGeometry(x, kernel: kernel, stride: stride, padding: padding)
        let planes = x.shape[0] * x.shape[1]
        let (planeIn, planeOut) = (geometry.height * geometry.width, geometry.positions)
        let output = Tensor.uninitialized([x.shape[0], x.shape[1], geometry.outHeight, geometry.outWidth])
        let recording = willRecord(x)
        // Each maximum's index within its plane, kept for backward.
        var winners = [Int32](repeating: 0, count: recording ? planes * planeOut : 0)
        let window = [kernel.height, kernel.width, stride.height, stride.width, padding.height, padding.width]
        winners.withUnsafeMutableBufferPointer { winners in
            Parallel.forEachChunk(planes, costPerItem: planeIn) { chunk in
                for plane in chunk {
                    braid_max_pool_plane(
                        x.pointer + plane * planeIn, geometry.height, geometry.width, window, geometry.outHeight,
                        geometry.outWidth, output.pointer + plane * planeOut,
                        recording ? winners.baseAddress! + plane * planeOut : nil)
                }
            }
        }
        guard recording else { return output }
        return record(output, inputs: [x]) { [winners] gradient, _ in
            let inputGradient = Tensor.zeros(x.shape)
            Parallel.forEachChunk(planes, costPerItem: planeOut) { chunk in
                for plane in chunk {
                    let (target, source) = (
                        inputGradient.pointer + plane * planeIn, gradient.pointer + plane * planeOut
                    )
                    for position in 0..<planeOut {
                        target[Int(winners[plane * planeOut + position])] += source[position]
                    }
                }
            }
            return [inputGradient]
        }
    }

    /// Average pooling; padded elements count in the divisor (PyTorch's `count_include_pad=True`).
    public static func avgPool2d(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) -> Tensor {
        let geometry = poolGeometry(x, kernel: kernel, stride: stride ?? kernel, padding: padding)
        let planes = x.shape[0] * x.shape[1]
        let (planeIn, planeOut) = (geometry.height * geometry.width, geometry.positions)
        let scale = 1 / Float(kernel.height * kernel.width)
        let output = Tensor.uninitialized([x.shape[0], x.shape[1], geometry.outHeight, geometry.outWidth])
        for plane in 0..<planes {
            let source = x.pointer + plane * planeIn
            for position in 0..<planeOut {
                var total: Float = 0
                geometry.forEachWindowElement(position) { total += source[$0] }
                output.pointer[plane * planeOut + position] = total * scale
            }
        }
        return record(output, inputs: [x]) { gradient, _ in
            let inputGradient = Tensor.zeros(x.shape)
            for plane in 0..<planes {
                let target = inputGradient.pointer + plane * planeIn
                for position in 0..<planeOut {
                    let share = gradient.pointer[plane * planeOut + position] * scale
                    geometry.forEachWindowElement(position) { target[$0] += share }
                }
            }
            return [inputGradient]
        }
    }

    /// Nearest-neighbour upsampling by an integer factor per axis: each pixel becomes a block.
    /// - Parameter x: `(N, C, H, W)`; the result is `(N, C, H·scale.height, W·scale.width)`.
    public func upsampledNearest(scale: Size2D) -> Tensor {
        precondition(rank == 4, "upsampledNearest needs (N, C, H, W), got \(shape)")
        let (height, width) = (shape[2], shape[3])
        let (outHeight, outWidth) = (height * scale.height, width * scale.width)
        let planes = shape[0] * shape[1]
        let output = Tensor.uninitialized([shape[0], shape[1], outHeight, outWidth])
        for plane in 0..<planes {
            let (source, target) = (pointer + plane * height * width, output.pointer + plane * outHeight * outWidth)
            for row in 0..<outHeight {
                let sourceRow = source + (row / scale.height) * width
                for column in 0..<outWidth { target[row * outWidth + column] = sourceRow[column / scale.width] }
            }
        }
        return Tensor.record(output, inputs: [self]) { gradient, _ in
            // (N, C, H, sh, W, sw) summed over the block axes.
            let blocks = gradient.reshapedView([planes, height, scale.height, width, scale.width])
            return [blocks.sum(axes: [2, 4]).reshapedView(self.shape)]
        }
    }

    private static func poolGeometry(_ x: Tensor, kernel: Size2D, stride: Size2D, padding: Size2D) -> ConvGeometry {
        precondition(x.rank == 4, "pooling needs (N, C, H, W), got \(x.shape)")
        return ConvGeometry(
            channels: 1, height: x.shape[2], width: x.shape[3], kernel: kernel, stride: stride, padding: padding,
            dilation: 1)
    }
}

extension ConvGeometry {
    /// Calls `body` with the plane index of every in-bounds element of output `position`'s window.
    @inline(__always)
    func forEachWindowElement(_ position: Int, _ body: (Int) -> Void) {
        let (outRow, outColumn) = position.quotientAndRemainder(dividingBy: outWidth)
        for kernelRow in 0..<kernel.height {
            let row = outRow * stride.height - padding.height + kernelRow * dilation.height
            guard row >= 0 && row < height else { continue }
            for kernelColumn in 0..<kernel.width {
                let column = outColumn * stride.width - padding.width + kernelColumn * dilation.width
                if column >= 0 && column < width { body(row * width + column) }
            }
        }
    }
}
