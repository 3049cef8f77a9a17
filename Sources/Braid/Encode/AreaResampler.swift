/// Box-filter resizing: each output pixel is the average of the input area it covers, with input pixels on the
/// border of that area weighted by the fraction covered. Meant for shrinking; enlarging degrades gracefully to
/// copying the one or two inputs each output overlaps.
enum AreaResampler {
    /// The taps of one axis: output sample `o` averages `sources[starts[o]..<starts[o + 1]]` with `weights`.
    struct AxisTaps {
        var starts: [Int] = [0]
        var sources: [Int] = []
        var weights: [Float] = []

        init(from sourceLength: Int, to targetLength: Int) {
            let span = Double(sourceLength) / Double(targetLength)
            for output in 0..<targetLength {
                let low = Double(output) * span
                let high = Double(output + 1) * span
                var source = Int(low)
                while source < sourceLength && Double(source) < high {
                    let covered = min(high, Double(source + 1)) - max(low, Double(source))
                    if covered > 0 {
                        sources.append(source)
                        weights.append(Float(covered / span))
                    }
                    source += 1
                }
                starts.append(sources.count)
            }
        }
    }

    /// Resizes interleaved samples, reading each output channel from a chosen input channel.
    ///
    /// - Parameters:
    ///   - source: `height × width × channels` samples, row-major.
    ///   - channelMap: For each output channel, the input channel it reads (so grey can feed R, G and B).
    /// - Returns: `targetHeight × targetWidth × channelMap.count` floats in [0, 1].
    static func resample<Sample: UnitIntervalSample>(
        _ source: UnsafeBufferPointer<Sample>, width: Int, height: Int, channels: Int, channelMap: [Int],
        targetWidth: Int, targetHeight: Int
    ) -> [Float] {
        let outputChannels = channelMap.count
        let columns = AxisTaps(from: width, to: targetWidth)
        let rows = AxisTaps(from: height, to: targetHeight)

        // Horizontal pass: (height, width, channels) -> (height, targetWidth, outputChannels).
        var narrowed = [Float](repeating: 0, count: height * targetWidth * outputChannels)
        narrowed.withUnsafeMutableBufferPointer { narrowed in
            for y in 0..<height {
                let rowBase = y * width * channels
                for x in 0..<targetWidth {
                    let outputBase = (y * targetWidth + x) * outputChannels
                    for tap in columns.starts[x]..<columns.starts[x + 1] {
                        let inputBase = rowBase + columns.sources[tap] * channels
                        let weight = columns.weights[tap]
                        for (channel, inputChannel) in channelMap.enumerated() {
                            narrowed[outputBase + channel] += weight * source[inputBase + inputChannel].unitValue
                        }
                    }
                }
            }
        }

        // Vertical pass: (height, targetWidth, outputChannels) -> (targetHeight, targetWidth, outputChannels).
        let rowLength = targetWidth * outputChannels
        var resized = [Float](repeating: 0, count: targetHeight * rowLength)
        resized.withUnsafeMutableBufferPointer { resized in
            narrowed.withUnsafeBufferPointer { narrowed in
                for y in 0..<targetHeight {
                    let outputBase = y * rowLength
                    for tap in rows.starts[y]..<rows.starts[y + 1] {
                        let inputBase = rows.sources[tap] * rowLength
                        let weight = rows.weights[tap]
                        for index in 0..<rowLength {
                            resized[outputBase + index] += weight * narrowed[inputBase + index]
                        }
                    }
                }
            }
        }
        return resized
    }
}

extension Image {
    /// The image as RGB floats in [0, 1] at `width`×`height`, each pixel the area average of what it covers: grey
    /// feeds all three channels, alpha is dropped (not composited).
    public func areaResampledRGB(width targetWidth: Int, height targetHeight: Int) -> [Float] {
        let channelMap = channels >= 3 ? [0, 1, 2] : [0, 0, 0]
        return switch samples {
        case .uint8(let bytes):
            bytes.withUnsafeBufferPointer {
                AreaResampler.resample(
                    $0, width: width, height: height, channels: channels, channelMap: channelMap,
                    targetWidth: targetWidth, targetHeight: targetHeight)
            }
        case .float32(let floats):
            floats.withUnsafeBufferPointer {
                AreaResampler.resample(
                    $0, width: width, height: height, channels: channels, channelMap: channelMap,
                    targetWidth: targetWidth, targetHeight: targetHeight)
            }
        }
    }
}

/// A stored image sample read as a value in [0, 1].
protocol UnitIntervalSample {
    var unitValue: Float { get }
}

extension UInt8: UnitIntervalSample {
    var unitValue: Float { Float(self) * (1 / 255) }
}

extension Float: UnitIntervalSample {
    /// Clamped, with NaN read as 0, so out-of-range float images still give finite features.
    var unitValue: Float { isNaN ? 0 : Swift.min(Swift.max(self, 0), 1) }
}
