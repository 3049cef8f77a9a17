import CLibPNG

/// Encodes 8-bit images as PNG with libpng's simplified write API, which reports errors in its return
/// value rather than by longjmp.
public enum PNGEncoder {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func encode(_ image: Image) throws -> [UInt8] {
        guard case .uint8(let pixels) = image.samples else {
            return try encode(image.converted(to: image.channels == 4 || image.channels == 2 ? .rgba8 : .rgb8))
        }
        var header = png_image()
        header.version = UInt32(PNG_IMAGE_VERSION)
        header.width = UInt32(image.width)
        header.height = UInt32(image.height)
        header.format =
            [
                UInt32(PNG_FORMAT_GRAY), UInt32(PNG_FORMAT_GA), UInt32(PNG_FORMAT_RGB),
                UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA),
            ][image.channels - 1]
        var size: png_alloc_size_t = 0
        let stride = Int32(image.width * image.channels)
        return try pixels.withUnsafeBytes { source -> [UInt8] in
            guard png_image_write_to_memory(&header, nil, &size, 0, source.baseAddress, stride, nil) != 0 else {
                throw Failure(description: message(of: &header))
            }
            var encoded = [UInt8](repeating: 0, count: Int(size))
            let status = encoded.withUnsafeMutableBytes {
                png_image_write_to_memory(&header, $0.baseAddress, &size, 0, source.baseAddress, stride, nil)
            }
            guard status != 0 else { throw Failure(description: message(of: &header)) }
            encoded.removeLast(encoded.count - Int(size))
            return encoded
        }
    }

    private static func message(of header: inout png_image) -> String {
        defer { png_image_free(&header) }
        return withUnsafeBytes(of: header.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
