/// Max and average pooling and nearest-neighbour upsampling over `(N, C, H, W)`, with backward.

extension Tensor {
    /// Max pooling; the gradient flows to the first maximal element of each window. Padding
    /// never wins (it counts as -∞, as in PyTorch).
    /// - Parameters:
    ///   - x: `(N, C, H, W)`.
    ///   - stride: Defaults to the kernel size.
    public static func maxPool2d(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) -> Tensor {
        let geometry = poolGeometry(x, kernel: kernel, stride: stride ?? kernel, padding: padding)
        let planes = x.shape[0] * x.shape[1]
        let (planeIn, planeOut) = (geometry.height * geometry.width, geometry.positions)
        let output = Tensor.uninitialized([x.shape[0], x.shape[1], geometry.outHeight, geometry.outWidth])
        var winners = [Int](repeating: 0, count: planes * planeOut)
        for plane in 0..<planes {
            let source = x.pointer + plane * planeIn
            for position in 0..<planeOut {
                var best = -Float.infinity
                var bestIndex = -1
                geometry.forEachWindowElement(position) { index in
                    if source[index] > best || bestIndex < 0 {
                        best = source[index]
                        bestIndex = index
                    }
                }
                output.pointer[plane * planeOut + position] = best
                winners[plane * planeOut + position] = bestIndex
            }
        }
        return record(output, inputs: [x]) { gradient, _ in
            let inputGradient = Tensor.zeros(x.shape)
            for plane in 0..<planes {
                for position in 0..<planeOut where winners[plane * planeOut + position] >= 0 {
                    inputGradient.pointer[plane * planeIn + winners[plane * planeOut + position]] +=
                        gradient.pointer[plane * planeOut + position]
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
