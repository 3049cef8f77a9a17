/// The EXIF orientation of a photo (TIFF tag 0x0112): how the stored pixels must be turned to be seen the right
/// way up, as every browser and Pillow's `ImageOps.exif_transpose` turn them.
///
///     1 as stored        2 mirrored            3 rotated 180°        4 flipped top to bottom
///     5 transposed       6 rotated 90° clockwise  7 transversed      8 rotated 90° anticlockwise
public enum ExifOrientation: Int, Sendable, Codable, CaseIterable {
    case normal = 1, mirrored, rotated180, flipped, transposed, rotatedClockwise, transversed, rotatedAnticlockwise

    /// Whether the shown image's width is the stored image's height.
    var swapsSides: Bool { rawValue >= 5 }

    /// The stored image turned to be seen the right way up.
    func apply(to image: Image) -> Image {
        guard self != .normal, case .uint8(let stored) = image.samples else { return image }
        let (width, height, channels) = (image.width, image.height, image.channels)
        let (shownWidth, shownHeight) = swapsSides ? (height, width) : (width, height)
        var shown = [UInt8](repeating: 0, count: stored.count)
        for y in 0..<shownHeight {
            for x in 0..<shownWidth {
                let (sourceX, sourceY) = source(x, y, width: width, height: height)
                let from = (sourceY * width + sourceX) * channels
                let to = (y * shownWidth + x) * channels
                for channel in 0..<channels { shown[to + channel] = stored[from + channel] }
            }
        }
        return Image(width: shownWidth, height: shownHeight, channels: channels, bytes: shown)
    }

    /// The stored pixel that shows at (x, y).
    private func source(_ x: Int, _ y: Int, width: Int, height: Int) -> (Int, Int) {
        switch self {
        case .normal: (x, y)
        case .mirrored: (width - 1 - x, y)
        case .rotated180: (width - 1 - x, height - 1 - y)
        case .flipped: (x, height - 1 - y)
        case .transposed: (y, x)
        case .rotatedClockwise: (y, height - 1 - x)
        case .transversed: (width - 1 - y, height - 1 - x)
        case .rotatedAnticlockwise: (width - 1 - y, x)
        }
    }
}
