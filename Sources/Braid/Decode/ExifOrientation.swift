/// The EXIF orientation of a photo (TIFF tag 0x0112): how the stored pixels must be turned to be seen the right
/// way up, as every browser and Pillow's `ImageOps.exif_transpose` turn them. The eight cases are every turn and
/// mirror of a rectangle, so a video's display matrix maps onto them too (``init(displayMatrix:)``).
///
///     1 as stored        2 mirrored            3 rotated 180°        4 flipped top to bottom
///     5 transposed       6 rotated 90° clockwise  7 transversed      8 rotated 90° anticlockwise
public enum ExifOrientation: Int, Sendable, Codable, CaseIterable {
    case normal = 1, mirrored, rotated180, flipped, transposed, rotatedClockwise, transversed, rotatedAnticlockwise

    /// Whether the shown image's width is the stored image's height.
    var swapsSides: Bool { rawValue >= 5 }

    /// Whether the turn includes a mirror image (no rotation alone gives it).
    var mirrors: Bool { [.mirrored, .flipped, .transposed, .transversed].contains(self) }

    /// The stored image turned to be seen the right way up.
    func apply(to image: Image) -> Image {
        guard self != .normal, case .uint8(let stored) = image.samples else { return image }
        let (width, height, channels) = (image.width, image.height, image.channels)
        let (shownWidth, shownHeight) = swapsSides ? (height, width) : (width, height)
        var shown = [UInt8](repeating: 0, count: stored.count)
        stored.withUnsafeBufferPointer { stored in
            shown.withUnsafeMutableBufferPointer { shown in
                apply(
                    width: width, height: height, pixelBytes: channels, from: stored.baseAddress!,
                    stride: width * channels, to: shown.baseAddress!, stride: shownWidth * channels)
            }
        }
        return Image(width: shownWidth, height: shownHeight, channels: channels, bytes: shown)
    }

    /// Copies a plane of `width`×`height` pixels of `pixelBytes` bytes each, turned, into a plane of the shown
    /// size (sides swapped when ``swapsSides``). Strides are in bytes; rows may be padded.
    func apply(
        width: Int, height: Int, pixelBytes: Int, from stored: UnsafePointer<UInt8>, stride storedStride: Int,
        to shown: UnsafeMutablePointer<UInt8>, stride shownStride: Int
    ) {
        guard width > 0, height > 0 else { return }
        let (shownWidth, shownHeight) = swapsSides ? (height, width) : (width, height)
        let walk = walk(width: width, height: height, stride: storedStride, pixelBytes: pixelBytes)
        for y in 0..<shownHeight {
            var from = walk.start + y * walk.down
            var to = shown + y * shownStride
            // One-byte pixels (grey, a video's planes) are copied without a call per pixel.
            if pixelBytes == 1 {
                for x in 0..<shownWidth { to[x] = stored[from + x * walk.across] }
                continue
            }
            for _ in 0..<shownWidth {
                to.update(from: stored + from, count: pixelBytes)
                to += pixelBytes
                from += walk.across
            }
        }
    }

    /// Where the shown image's pixels lie in the stored one, as byte offsets: the top-left shown pixel is at
    /// `start`, and each step right or down in the shown image moves `across` or `down` bytes in the stored one.
    private func walk(width: Int, height: Int, stride: Int, pixelBytes: Int) -> (start: Int, across: Int, down: Int) {
        let (lastRow, lastColumn) = ((height - 1) * stride, (width - 1) * pixelBytes)
        return switch self {
        case .normal: (0, pixelBytes, stride)
        case .mirrored: (lastColumn, -pixelBytes, stride)
        case .rotated180: (lastRow + lastColumn, -pixelBytes, -stride)
        case .flipped: (lastRow, pixelBytes, -stride)
        case .transposed: (0, stride, pixelBytes)
        case .rotatedClockwise: (lastRow, -stride, pixelBytes)
        case .transversed: (lastRow + lastColumn, -stride, -pixelBytes)
        case .rotatedAnticlockwise: (lastColumn, stride, -pixelBytes)
        }
    }
}
