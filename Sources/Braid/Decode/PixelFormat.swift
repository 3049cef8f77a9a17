/// The sample layouts `braid decode --pixel-format` offers.
public enum PixelFormat: String, Sendable, CaseIterable, Codable {
    case gray8, rgb8, rgba8, rgbaf32

    public var channels: Int {
        switch self {
        case .gray8: 1
        case .rgb8: 3
        case .rgba8, .rgbaf32: 4
        }
    }
}

extension Image {
    /// The image in another layout. Grey comes from RGB by ITU-R BT.601 luma in 16-bit fixed point, as
    /// Pillow's `convert("L")` computes it; alpha is dropped (not composited) and added as opaque.
    public func converted(to format: PixelFormat) -> Image {
        if format == .rgbaf32 {
            let floats = expanded(to: 4, opaque: 1, samples: floatSamples, luma: Self.floatLuma)
            return Image(width: width, height: height, channels: 4, samples: .float32(floats))
        }
        let bytes: [UInt8]
        switch samples {
        case .uint8(let source): bytes = source
        case .float32(let source): bytes = source.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
        }
        if channels == format.channels, case .uint8 = samples { return self }
        let converted = expanded(to: format.channels, opaque: 255, samples: bytes, luma: Self.byteLuma)
        return Image(width: width, height: height, channels: format.channels, bytes: converted)
    }

    private static func byteLuma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let red: UInt32 = UInt32(r) * 19595
        let green: UInt32 = UInt32(g) * 38470
        let blue: UInt32 = UInt32(b) * 7471
        return UInt8((red + green + blue + 0x8000) >> 16)
    }

    private static func floatLuma(_ r: Float, _ g: Float, _ b: Float) -> Float {
        let red: Float = 0.299 * r
        let green: Float = 0.587 * g
        return red + green + 0.114 * b
    }

    private func expanded<Sample>(
        to target: Int, opaque: Sample, samples: [Sample], luma: (Sample, Sample, Sample) -> Sample
    ) -> [Sample] {
        var output = [Sample](repeating: opaque, count: pixelCount * target)
        let hasColor = channels >= 3
        let alphaIndex = channels == 2 ? 1 : channels == 4 ? 3 : nil
        for pixel in 0..<pixelCount {
            let source = pixel * channels
            let destination = pixel * target
            let r = samples[source]
            let g = hasColor ? samples[source + 1] : r
            let b = hasColor ? samples[source + 2] : r
            switch target {
            case 1:
                output[destination] = hasColor ? luma(r, g, b) : r
            default:
                output[destination] = r
                output[destination + 1] = g
                output[destination + 2] = b
                if target == 4, let alphaIndex { output[destination + 3] = samples[source + alphaIndex] }
            }
        }
        return output
    }
}
