import Foundation

/// Embeds an image by colour, edge and layout descriptors; needs no model files.
///
/// The exact recipe:
/// 0. Working image: the samples as RGB in [0, 1] (grey feeds all three channels, alpha is ignored, float
///    samples are clamped), area-averaged down so that the longer side is at most 128 pixels; smaller images keep
///    their size. Luminance is Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601).
/// 1. Colour, 128 values: each pixel's HSV (hexcone; hue 0 for grey pixels) falls into one of 8 hue × 4
///    saturation × 4 value equal-width bins, hue slowest; the counts over the pixel count, square-rooted (the
///    Hellinger map). Weight 1.
/// 2. Edges, 81 values: central-difference gradients of Y (the index clamped at the border); each pixel adds its
///    gradient magnitude to 9 unsigned orientation bins of 20° over [0°, 180°), split linearly between the two
///    nearest bin centres (cyclically), in the cell of a 3 × 3 grid that contains it; cells in row-major order.
///    Weight 1.
/// 3. Layout, 64 values: Y area-averaged to 8 × 8, minus its mean (so only the arrangement of light and dark
///    counts, not the overall brightness). Weight 0.5.
/// Each block is scaled to Euclidean length equal to its weight (an all-zero block stays zero), the 273 values are
/// concatenated in the order above and L2-normalised.
public struct ImageFeaturesEncoder: Encoder {
    public let name = "features"
    public let modality = Modality.image
    public var dimension: Int { Self.colourBins + Self.edgeBins + Self.layoutBins }

    static let workingSide = 128
    static let hueBins = 8, saturationBins = 4, valueBins = 4
    static let colourBins = hueBins * saturationBins * valueBins
    static let orientationBins = 9, cellsPerSide = 3
    static let edgeBins = orientationBins * cellsPerSide * cellsPerSide
    static let layoutSide = 8
    static let layoutBins = layoutSide * layoutSide
    static let weights = (colour: Float(1), edges: Float(1), layout: Float(0.5))

    public init() {}

    /// An image reduced to no less than the working size on both sides shrinks to the same working image.
    public var minimumImageSide: Int? { Self.workingSide }

    public func encode(_ inputs: [Media]) throws -> [[Float]] {
        try inputs.map { input in
            guard case .image(let image) = input else { throw wrongModality(input) }
            return try features(of: image)
        }
    }

    private func features(of image: Image) throws -> [Float] {
        let working = try workingImage(image)
        var vector: [Float] = []
        vector.reserveCapacity(dimension)
        FeatureVector.append(colourHistogram(working), weight: Self.weights.colour, to: &vector)
        FeatureVector.append(edgeHistogram(working), weight: Self.weights.edges, to: &vector)
        FeatureVector.append(layout(working), weight: Self.weights.layout, to: &vector)
        FeatureVector.normalize(&vector)
        return vector
    }

    /// The image shrunk to the working size, as interleaved RGB and as a luminance plane.
    private struct WorkingImage {
        let width: Int
        let height: Int
        let rgb: [Float]
        let luminance: [Float]
    }

    private func workingImage(_ image: Image) throws -> WorkingImage {
        guard image.width > 0 && image.height > 0 else {
            throw EncodeError.nothingToEncode(encoder: name, reason: "the image is \(image.width)×\(image.height)")
        }
        // Overflow-checked: the geometry comes from a file header and may be absurd.
        let pixels = image.width.multipliedReportingOverflow(by: image.height)
        let expected = pixels.partialValue.multipliedReportingOverflow(by: image.channels)
        let stored: Int
        switch image.samples {
        case .uint8(let bytes): stored = bytes.count
        case .float32(let floats): stored = floats.count
        }
        guard !pixels.overflow && !expected.overflow && stored >= expected.partialValue else {
            let geometry = "\(image.width)×\(image.height)×\(image.channels)"
            let needed = pixels.overflow || expected.overflow ? "more than fit in memory" : "\(expected.partialValue)"
            throw EncodeError.malformedInput(
                encoder: name, reason: "a \(geometry) image holds \(stored) samples, not \(needed)")
        }

        let scale = min(1, Double(Self.workingSide) / Double(max(image.width, image.height)))
        let width = max(1, Int((Double(image.width) * scale).rounded()))
        let height = max(1, Int((Double(image.height) * scale).rounded()))
        let rgb = image.areaResampledRGB(width: width, height: height)
        let luminance = (0..<(width * height)).map { (pixel: Int) -> Float in
            let red = rgb[pixel * 3]
            let green = rgb[pixel * 3 + 1]
            let blue = rgb[pixel * 3 + 2]
            return 0.299 * red + 0.587 * green + 0.114 * blue
        }
        return WorkingImage(width: width, height: height, rgb: rgb, luminance: luminance)
    }

    private func colourHistogram(_ image: WorkingImage) -> [Float] {
        var counts = [Float](repeating: 0, count: Self.colourBins)
        let pixelCount = image.width * image.height
        for pixel in 0..<pixelCount {
            let red = image.rgb[pixel * 3]
            let green = image.rgb[pixel * 3 + 1]
            let blue = image.rgb[pixel * 3 + 2]
            let value = max(red, green, blue)
            let chroma = value - min(red, green, blue)
            let saturation = value > 0 ? chroma / value : 0
            var hue: Float = 0  // in sixths of the colour wheel, [0, 6)
            if chroma > 0 {
                if value == red {
                    hue = (green - blue) / chroma
                    if hue < 0 { hue += 6 }
                } else if value == green {
                    hue = (blue - red) / chroma + 2
                } else {
                    hue = (red - green) / chroma + 4
                }
            }
            let hueBin = Self.bin(hue / 6, count: Self.hueBins)
            let saturationBin = Self.bin(saturation, count: Self.saturationBins)
            let valueBin = Self.bin(value, count: Self.valueBins)
            counts[(hueBin * Self.saturationBins + saturationBin) * Self.valueBins + valueBin] += 1
        }
        let total = Float(pixelCount)
        return counts.map { ($0 / total).squareRoot() }
    }

    /// The equal-width bin of `fraction` in [0, 1]; 1 itself falls in the last bin.
    private static func bin(_ fraction: Float, count: Int) -> Int {
        min(count - 1, max(0, Int(fraction * Float(count))))
    }

    private func edgeHistogram(_ image: WorkingImage) -> [Float] {
        let width = image.width
        let height = image.height
        let binWidth = Float.pi / Float(Self.orientationBins)
        var histogram = [Float](repeating: 0, count: Self.edgeBins)
        image.luminance.withUnsafeBufferPointer { luminance in
            for y in 0..<height {
                let up = max(0, y - 1) * width
                let down = min(height - 1, y + 1) * width
                let cellRow = y * Self.cellsPerSide / height
                for x in 0..<width {
                    let dx = luminance[y * width + min(width - 1, x + 1)] - luminance[y * width + max(0, x - 1)]
                    let dy = luminance[down + x] - luminance[up + x]
                    let magnitude = (dx * dx + dy * dy).squareRoot()
                    guard magnitude > 0 else { continue }
                    var angle = atan2(dy, dx)
                    if angle < 0 { angle += .pi }
                    // Position between bin centres: centre b sits at (b + 0.5) bin widths.
                    let position = angle / binWidth - 0.5
                    let lower = Int(position.rounded(.down))
                    let upperShare = position - Float(lower)
                    let cell = cellRow * Self.cellsPerSide + x * Self.cellsPerSide / width
                    let base = cell * Self.orientationBins
                    let bins = Self.orientationBins
                    histogram[base + (lower + bins) % bins] += magnitude * (1 - upperShare)
                    histogram[base + (lower + 1) % bins] += magnitude * upperShare
                }
            }
        }
        return histogram
    }

    private func layout(_ image: WorkingImage) -> [Float] {
        let grid = image.luminance.withUnsafeBufferPointer {
            AreaResampler.resample(
                $0, width: image.width, height: image.height, channels: 1, channelMap: [0],
                targetWidth: Self.layoutSide, targetHeight: Self.layoutSide)
        }
        let mean = grid.reduce(0, +) / Float(grid.count)
        return grid.map { $0 - mean }
    }
}
