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
        let walk = walk(width: width, height: height)
        var shown = [UInt8](repeating: 0, count: stored.count)
        var to = 0
        for y in 0..<shownHeight {
            var from = walk.start + y * walk.down
            for _ in 0..<shownWidth {
                for channel in 0..<channels { shown[to + channel] = stored[from * channels + channel] }
                to += channels
                from += walk.across
            }
        }
        return Image(width: shownWidth, height: shownHeight, channels: channels, bytes: shown)
    }

    /// Where the shown image's pixels lie in the stored one, as stored pixel indices: the top-left shown pixel is
    /// `start`, and each step right or down in the shown image moves `across` or `down` in the stored one.
    private func walk(width: Int, height: Int) -> (start: Int, across: Int, down: Int) {
        let (lastRow, lastColumn) = ((height - 1) * width, width - 1)
        return switch self {
        case .normal: (0, 1, width)
        case .mirrored: (lastColumn, -1, width)
        case .rotated180: (lastRow + lastColumn, -1, -width)
        case .flipped: (lastRow, 1, -width)
        case .transposed: (0, width, 1)
        case .rotatedClockwise: (lastRow, -width, 1)
        case .transversed: (lastRow + lastColumn, -width, -1)
        case .rotatedAnticlockwise: (lastColumn, width, -1)
        }
    }
}
