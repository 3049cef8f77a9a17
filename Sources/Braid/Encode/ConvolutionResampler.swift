/// Resizes 8-bit RGB images with a separable convolution filter, computing exactly what Pillow's `Image.resize`
/// computes for an RGB image without `reducing_gap` (libImaging/Resample.c): per axis, the filter is stretched by
/// the shrink factor (so shrinking averages every input pixel, as an antialiasing filter should), its weights
/// normalised to sum 1 and rounded to fixed point with 22 fractional bits; the horizontal pass runs first, into
/// 8-bit samples, then the vertical one. Reproducing that arithmetic, rounding included, is what lets a model's
/// preprocessing match the Python pipeline it was trained with to the last bit.
enum ConvolutionResampler {
    enum Filter: Sendable, Equatable {
        case bilinear
        case bicubic

        /// The half-width of the filter at scale 1.
        var support: Double {
            switch self {
            case .bilinear: 1
            case .bicubic: 2
            }
        }

        func weight(_ x: Double) -> Double {
            let x = abs(x)
            switch self {
            case .bilinear:
                return x < 1 ? 1 - x : 0
            case .bicubic:
                // Keys' cubic convolution with a = -0.5, Pillow's choice.
                let a = -0.5
                if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
                if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
                return 0
            }
        }
    }

    /// Fractional bits of the fixed-point weights: 32 - 8 - 2 leaves room for 8-bit samples and negative lobes in
    /// a 32-bit sum, as in Pillow.
    static let precisionBits = 22

    /// The fixed-point weights of one axis: output sample `o` is the weighted sum of the `counts[o]` inputs from
    /// `starts[o]`, with `weights[o * taps ..< o * taps + counts[o]]`.
    struct AxisWeights {
        var starts: [Int] = []
        var counts: [Int] = []
        var weights: [Int32] = []
        let taps: Int

        init(from inputSize: Int, to outputSize: Int, filter: Filter) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1)
            let support = filter.support * filterScale
            taps = Int(support.rounded(.up)) * 2 + 1
            weights = [Int32](repeating: 0, count: outputSize * taps)
            var exact = [Double](repeating: 0, count: taps)
            for output in 0..<outputSize {
                let center = (Double(output) + 0.5) * scale
                // Int(_:) truncates toward zero, as C's (int) cast does.
                let start = max(Int(center - support + 0.5), 0)
                let count = min(Int(center + support + 0.5), inputSize) - start
                var total = 0.0
                for tap in 0..<count {
                    exact[tap] = filter.weight((Double(tap + start) - center + 0.5) / filterScale)
                    total += exact[tap]
                }
                for tap in 0..<count {
                    let normalised = total != 0 ? exact[tap] / total : exact[tap]
                    let scaled = normalised * Double(1 << ConvolutionResampler.precisionBits)
                    weights[output * taps + tap] = Int32(scaled < 0 ? scaled - 0.5 : scaled + 0.5)
                }
                starts.append(start)
                counts.append(count)
            }
        }
    }

    /// - Parameters:
    ///   - rgb: `height × width × 3` bytes, row-major.
    /// - Returns: `targetHeight × targetWidth × 3` bytes; a copy of `rgb` when the size does not change.
    static func resize(
        _ rgb: [UInt8], width: Int, height: Int, toWidth targetWidth: Int, height targetHeight: Int, filter: Filter
    ) -> [UInt8] {
        precondition(rgb.count == width * height * 3 && targetWidth > 0 && targetHeight > 0, "bad resize geometry")
        let rows = AxisWeights(from: height, to: targetHeight, filter: filter)
        guard targetWidth != width else {
            return targetHeight == height
                ? rgb : vertical(rgb, width: width, weights: rows, firstRow: 0, targetHeight: targetHeight)
        }
        // Only the rows the vertical pass reads are narrowed.
        let firstRow = rows.starts.first ?? 0
        let endRow = (rows.starts.last ?? 0) + (rows.counts.last ?? 0)
        let columns = AxisWeights(from: width, to: targetWidth, filter: filter)
        let narrowed = horizontal(rgb, width: width, rows: firstRow..<endRow, weights: columns, targetWidth: targetWidth)
        guard targetHeight != height else { return narrowed }
        return vertical(narrowed, width: targetWidth, weights: rows, firstRow: firstRow, targetHeight: targetHeight)
    }

    private static func horizontal(
        _ rgb: [UInt8], width: Int, rows: Range<Int>, weights: AxisWeights, targetWidth: Int
    ) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: rows.count * targetWidth * 3)
        rgb.withUnsafeBufferPointer { input in
            weights.weights.withUnsafeBufferPointer { kernel in
                output.withUnsafeMutableBufferPointer { output in
                    for (outputRow, row) in rows.enumerated() {
                        let inputRow = row * width * 3
                        for x in 0..<targetWidth {
                            let taps = x * weights.taps
                            var sums = SIMD3<Int32>(repeating: 1 << Int32(precisionBits - 1))
                            var source = inputRow + weights.starts[x] * 3
                            for tap in 0..<weights.counts[x] {
                                let pixel = SIMD3<Int32>(Int32(input[source]), Int32(input[source + 1]), Int32(input[source + 2]))
                                sums &+= pixel &* kernel[taps + tap]
                                source += 3
                            }
                            store(sums, at: (outputRow * targetWidth + x) * 3, in: output)
                        }
                    }
                }
            }
        }
        return output
    }

    /// - Parameter firstRow: The input row `image` starts at (its earlier rows were never narrowed).
    private static func vertical(
        _ image: [UInt8], width: Int, weights: AxisWeights, firstRow: Int, targetHeight: Int
    ) -> [UInt8] {
        let rowLength = width * 3
        var output = [UInt8](repeating: 0, count: targetHeight * rowLength)
        var sums = [Int32](repeating: 0, count: rowLength)
        image.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                for y in 0..<targetHeight {
                    for index in 0..<rowLength { sums[index] = 1 << Int32(precisionBits - 1) }
                    for tap in 0..<weights.counts[y] {
                        let weight = weights.weights[y * weights.taps + tap]
                        let row = (weights.starts[y] - firstRow + tap) * rowLength
                        for index in 0..<rowLength { sums[index] &+= Int32(input[row + index]) &* weight }
                    }
                    for index in 0..<rowLength { output[y * rowLength + index] = clip(sums[index]) }
                }
            }
        }
        return output
    }

    @inline(__always)
    private static func store(_ sums: SIMD3<Int32>, at index: Int, in output: UnsafeMutableBufferPointer<UInt8>) {
        output[index] = clip(sums.x)
        output[index + 1] = clip(sums.y)
        output[index + 2] = clip(sums.z)
    }

    /// The 8-bit value of a fixed-point sum, saturated.
    @inline(__always)
    private static func clip(_ sum: Int32) -> UInt8 {
        if sum <= 0 { return 0 }
        if sum >= 255 << Int32(precisionBits) { return 255 }
        return UInt8(truncatingIfNeeded: sum >> Int32(precisionBits))
    }
}
