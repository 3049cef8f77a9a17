/// A decoded raster image, row-major H×W×C.
///
/// Samples are either 8-bit or float in [0, 1]; `channels` is 1 (grey), 2 (grey+alpha),
/// 3 (RGB) or 4 (RGBA).
public struct Image: Sendable, Equatable {
    public enum Samples: Sendable, Equatable {
        case uint8([UInt8])
        case float32([Float])
    }

    public let width: Int
    public let height: Int
    public let channels: Int
    public let samples: Samples
    /// The EXIF orientation the file stored the pixels in, already applied to them (a JPEG's); nil when the file
    /// has none.
    public var orientation: ExifOrientation?
    /// The frame count of the animation this image is the first frame of (an animated WebP's); nil for a still.
    public var animationFrames: Int?

    public init(width: Int, height: Int, channels: Int, samples: Samples) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "invalid image geometry")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        self.init(width: width, height: height, channels: channels, samples: .uint8(bytes))
    }

    public var pixelCount: Int { width * height }

    /// The samples as floats in [0, 1], whatever their storage.
    public var floatSamples: [Float] {
        switch samples {
        case .uint8(let bytes): return bytes.map { Float($0) * (1 / 255) }
        case .float32(let floats): return floats
        }
    }

    /// RGB bytes, H×W×3, as Pillow's `convert("RGB")` gives them: grey is replicated, alpha is dropped (not
    /// composited); float samples are rounded to the nearest of 256 levels.
    public func rgbBytes() -> [UInt8] {
        switch samples {
        case .uint8(let bytes) where channels == 3:
            return bytes
        case .uint8(let bytes):
            return rgbSamples { bytes[$0] }
        case .float32(let floats):
            return rgbSamples { floats[$0].isNaN ? 0 : UInt8((min(max(floats[$0], 0), 1) * 255).rounded()) }
        }
    }

    private func rgbSamples(_ sample: (Int) -> UInt8) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        for pixel in 0..<pixelCount {
            let base = pixel * channels
            for c in 0..<3 { rgb[pixel * 3 + c] = sample(channels <= 2 ? base : base + c) }
        }
        return rgb
    }

    /// RGB floats in [0, 1], H×W×3: grey is replicated, alpha is dropped (not composited).
    public func rgbFloats() -> [Float] {
        let source = floatSamples
        if channels == 3 { return source }
        var rgb = [Float](repeating: 0, count: pixelCount * 3)
        for pixel in 0..<pixelCount {
            let base = pixel * channels
            for c in 0..<3 {
                rgb[pixel * 3 + c] = channels <= 2 ? source[base] : source[base + c]
            }
        }
        return rgb
    }
}
