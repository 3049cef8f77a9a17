/// Tiles images of one size into a single picture, row by row, with a gap between tiles: how `braid sample`,
/// `reconstruct` and `interpolate` write many small digits as one PNG.
public enum ImageGrid {
    /// - Parameters:
    ///   - images: Tiles of one size and channel count, in reading order.
    ///   - columns: Tiles per row.
    ///   - gap: Pixels between tiles and around the edge, filled with `background`.
    public static func tile(_ images: [Image], columns: Int, gap: Int = 2, background: UInt8 = 128) -> Image {
        guard let first = images.first else { return Image(width: 0, height: 0, channels: 1, bytes: []) }
        let (width, height, channels) = (first.width, first.height, first.channels)
        let columns = max(1, min(columns, images.count))
        let rows = (images.count + columns - 1) / columns
        let (gridWidth, gridHeight) = (columns * (width + gap) + gap, rows * (height + gap) + gap)
        var pixels = [UInt8](repeating: background, count: gridWidth * gridHeight * channels)
        for (index, image) in images.enumerated() {
            guard case .uint8(let tile) = image.samples else { continue }
            let (left, top) = (gap + (index % columns) * (width + gap), gap + (index / columns) * (height + gap))
            for y in 0..<height {
                let source = y * width * channels
                let target = ((top + y) * gridWidth + left) * channels
                pixels.replaceSubrange(target..<target + width * channels, with: tile[source..<source + width * channels])
            }
        }
        return Image(width: gridWidth, height: gridHeight, channels: channels, bytes: pixels)
    }
}
