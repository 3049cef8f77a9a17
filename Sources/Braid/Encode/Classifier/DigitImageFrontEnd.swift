/// Turns any image into a digit the way MNIST's digits were made (LeCun, Cortes & Burges, "The MNIST database"):
/// grey, bright ink on a dark field, the ink's bounding box scaled to fit a `box`×`box` square keeping its aspect
/// ratio, and placed in the `size`×`size` field so that its centre of mass sits at the centre.
///
/// The recipe, for an image of any size, colour and polarity:
/// 1. Grey: ITU-R BT.601 luma `0.299 R + 0.587 G + 0.114 B`; alpha is composited over white, as a page shows it.
/// 2. Polarity: the background is the median of the one-pixel border; when it is brighter than 0.5 (dark ink on
///    paper) the image is inverted.
/// 3. The contrast is stretched so that the background maps to 0 and the brightest pixel to 1; the ink is the
///    pixels above 0.2, and its bounding box is scaled (box-filter area resampling) so that its longer side is
///    `box` pixels, then shifted by whole pixels so that its centre of mass lands on the field's centre.
///
/// MNIST's own digits were made this way, so for them step 3 changes little; digits of 28×28 made otherwise (a
/// digit filling the field, or off-centre) are brought to the same form.
struct DigitImageFrontEnd: Codable, Sendable, Equatable {
    /// The side of the field, in pixels.
    var size = 28
    /// The side of the square the ink is scaled into.
    var box = 20

    /// The ink threshold of step 4, after the contrast stretch.
    static let inkThreshold: Float = 0.2

    /// The network's input for one item: (1, size, size).
    var inputShape: [Int] { [1, size, size] }

    /// The digit of an image: `size`×`size` floats in [0, 1], row-major.
    /// - Throws: `EncodeError` when the media is not an image, or holds no ink once its background is removed.
    func example(from media: Media, encoder: String) throws -> [Float] {
        guard case .image(let image) = media else {
            throw EncodeError.wrongModality(encoder: encoder, expected: .image, got: media.modality)
        }
        guard image.width > 0, image.height > 0 else {
            throw EncodeError.nothingToEncode(encoder: encoder, reason: "the image has no pixels")
        }
        var grey = Self.grey(image)
        let background = Self.borderMedian(grey, width: image.width, height: image.height)
        if background > 0.5 { for index in grey.indices { grey[index] = 1 - grey[index] } }
        return try centred(
            grey, width: image.width, height: image.height, background: min(background, 1 - background),
            encoder: encoder)
    }

    /// Step 1: luma in [0, 1], alpha composited over white.
    private static func grey(_ image: Image) -> [Float] {
        let samples = image.floatSamples
        let channels = image.channels
        return (0..<image.pixelCount).map { pixel in
            let base = pixel * channels
            let luma =
                channels >= 3
                ? 0.299 * samples[base] + 0.587 * samples[base + 1] + 0.114 * samples[base + 2] : samples[base]
            let hasAlpha = channels == 2 || channels == 4
            let alpha = hasAlpha ? samples[base + channels - 1] : 1
            return alpha * luma + (1 - alpha)
        }
    }

    /// The median of the one-pixel border (step 2).
    static func borderMedian(_ grey: [Float], width: Int, height: Int) -> Float {
        var border: [Float] = []
        for x in 0..<width { border += [grey[x], grey[(height - 1) * width + x]] }
        for y in 0..<height { border += [grey[y * width], grey[y * width + width - 1]] }
        border.sort()
        return border[border.count / 2]
    }

    /// Step 3 on bright-on-dark `grey`.
    private func centred(_ grey: [Float], width: Int, height: Int, background: Float, encoder: String) throws
        -> [Float]
    {
        let peak = grey.max() ?? 0
        guard peak - background > 0.05 else {
            throw EncodeError.nothingToEncode(encoder: encoder, reason: "the image is blank: no ink stands out")
        }
        let stretched = grey.map { min(1, max(0, ($0 - background) / (peak - background))) }
        var (left, right, top, bottom) = (width, -1, height, -1)
        for y in 0..<height {
            for x in 0..<width where stretched[y * width + x] > Self.inkThreshold {
                (left, right, top, bottom) = (min(left, x), max(right, x), min(top, y), max(bottom, y))
            }
        }
        let (inkWidth, inkHeight) = (right - left + 1, bottom - top + 1)
        var crop = [Float](repeating: 0, count: inkWidth * inkHeight)
        for y in 0..<inkHeight {
            for x in 0..<inkWidth { crop[y * inkWidth + x] = stretched[(top + y) * width + left + x] }
        }
        let scale = Double(box) / Double(max(inkWidth, inkHeight))
        let (scaledWidth, scaledHeight) = (
            max(1, Int((Double(inkWidth) * scale).rounded())), max(1, Int((Double(inkHeight) * scale).rounded()))
        )
        let scaled = crop.withUnsafeBufferPointer { crop in
            AreaResampler.resample(
                crop, width: inkWidth, height: inkHeight, channels: 1, channelMap: [0], targetWidth: scaledWidth,
                targetHeight: scaledHeight)
        }
        // Centre of mass of the scaled ink, in its own pixel coordinates (pixel centres at +0.5).
        var (mass, sumX, sumY): (Float, Float, Float) = (0, 0, 0)
        for y in 0..<scaledHeight {
            for x in 0..<scaledWidth {
                let value = scaled[y * scaledWidth + x]
                (mass, sumX, sumY) = (mass + value, sumX + value * (Float(x) + 0.5), sumY + value * (Float(y) + 0.5))
            }
        }
        let centre = Float(size) / 2
        let (offsetX, offsetY) = (Int((centre - sumX / mass).rounded()), Int((centre - sumY / mass).rounded()))
        var field = [Float](repeating: 0, count: size * size)
        for y in 0..<scaledHeight where (0..<size).contains(y + offsetY) {
            for x in 0..<scaledWidth where (0..<size).contains(x + offsetX) {
                field[(y + offsetY) * size + x + offsetX] = scaled[y * scaledWidth + x]
            }
        }
        return field
    }
}
