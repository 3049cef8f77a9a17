import CWebP

/// What `braid probe` reports for a WebP file.
public struct WebPInfo: Sendable, Equatable, Codable {
    /// The canvas, for an animation.
    public var width: Int
    public var height: Int
    /// `lossy`, `lossless`, or `mixed` (an animation whose frames differ, or an extended file libwebp does not
    /// classify).
    public var compression: String
    public var hasAlpha: Bool
    public var animated: Bool
    /// Frames of an animation; 1 for a still image.
    public var frameCount: Int
    /// Channels after decoding: 4 with alpha, 3 without.
    public var channels: Int
}

/// Decodes WebP with libwebp, from bytes in memory, to 8-bit RGB, or RGBA when the file has alpha: lossy,
/// lossless and extended files. An animation gives its first frame composed on its canvas, as Pillow and browsers
/// show it, and records its frame count on the image. A file cut short or whose chunk sizes lie is an error.
public struct WebPDecoder: Sendable {
    /// Images with more pixels than this are refused from the header, before any pixel memory is allocated.
    public var maxPixels: Int

    public init(maxPixels: Int = PNGDecoder.defaultMaxPixels) {
        self.maxPixels = maxPixels
    }

    public func info(_ bytes: [UInt8], source: String) throws(DecodeError) -> WebPInfo {
        let features = try readFeatures(bytes, source: source)
        let animated = features.has_animation != 0
        let frameCount = animated ? try Self.frameCount(bytes, source: source) : 1
        return WebPInfo(
            width: Int(features.width), height: Int(features.height),
            compression: [1: "lossy", 2: "lossless"][Int(features.format)] ?? "mixed",
            hasAlpha: features.has_alpha != 0, animated: animated, frameCount: frameCount,
            channels: features.has_alpha != 0 ? 4 : 3)
    }

    public func decode(_ bytes: [UInt8], source: String) throws(DecodeError) -> Image {
        let features = try readFeatures(bytes, source: source)
        let (width, height) = (Int(features.width), Int(features.height))
        guard width * height <= maxPixels else {
            throw DecodeError(
                source, .tooLarge("\(width)×\(height) pixels are over the limit of \(maxPixels) (--max-pixels)"))
        }
        let channels = features.has_alpha != 0 ? 4 : 3
        guard features.has_animation == 0 else {
            return try Self.firstFrame(bytes, width: width, height: height, channels: channels, source: source)
        }
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else {
            throw DecodeError(source, .unsupported("libwebp's decoder is of another version than its header"))
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let status = pixels.withUnsafeMutableBufferPointer { pixels in
            config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB
            config.output.is_external_memory = 1
            config.output.u.RGBA.rgba = pixels.baseAddress
            config.output.u.RGBA.stride = Int32(width * channels)
            config.output.u.RGBA.size = pixels.count
            defer { WebPFreeDecBuffer(&config.output) }
            return WebPDecode(bytes, bytes.count, &config)
        }
        guard status == VP8_STATUS_OK else { throw Self.error(status, source: source) }
        return Image(width: width, height: height, channels: channels, bytes: pixels)
    }

    private func readFeatures(_ bytes: [UInt8], source: String) throws(DecodeError) -> WebPBitstreamFeatures {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(bytes, bytes.count, &features)
        guard status == VP8_STATUS_OK else { throw Self.error(status, source: source) }
        return features
    }

    /// The frames of an animation, from its chunks alone: libwebp's demuxer, which unlike its animation decoder
    /// allocates no canvas (a header may claim one of 16384 × 16384, found by fuzzing).
    private static func frameCount(_ bytes: [UInt8], source: String) throws(DecodeError) -> Int {
        let count = bytes.withUnsafeBufferPointer { buffer -> Int? in
            var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
            guard let demuxer = WebPDemux(&data) else { return nil }
            defer { WebPDemuxDelete(demuxer) }
            return Int(WebPDemuxGetI(demuxer, WEBP_FF_FRAME_COUNT))
        }
        guard let count else { throw DecodeError(source, .corrupt("libwebp cannot read the animation's chunks")) }
        return count
    }

    /// The animation's first frame on its canvas (transparent where the frame does not cover it).
    private static func firstFrame(
        _ bytes: [UInt8], width: Int, height: Int, channels: Int, source: String
    ) throws(DecodeError) -> Image {
        try withAnimation(bytes, source: source) { decoder, info throws(DecodeError) in
            guard Int(info.canvas_width) == width, Int(info.canvas_height) == height else {
                throw DecodeError(source, .corrupt("the animation's canvas is not the size its header states"))
            }
            var canvas: UnsafeMutablePointer<UInt8>?
            var timestamp: Int32 = 0
            guard WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else {
                throw DecodeError(source, .corrupt("libwebp cannot decode the animation's first frame"))
            }
            let rgba = UnsafeBufferPointer(start: canvas, count: width * height * 4)
            let pixels = channels == 4 ? Array(rgba) : (0..<width * height).flatMap { rgba[$0 * 4..<$0 * 4 + 3] }
            var image = Image(width: width, height: height, channels: channels, bytes: pixels)
            image.animationFrames = Int(info.frame_count)
            return image
        }
    }

    /// Runs `body` with libwebp's animation decoder over the file (RGBA, non-premultiplied, as Pillow asks for),
    /// which allocates the whole canvas: only for a canvas already checked against `maxPixels`.
    private static func withAnimation<Result>(
        _ bytes: [UInt8], source: String,
        _ body: (OpaquePointer, WebPAnimInfo) throws(DecodeError) -> Result
    ) throws(DecodeError) -> Result {
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&options) != 0 else {
            throw DecodeError(source, .unsupported("libwebp's demuxer is of another version than its header"))
        }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        return try bytes.withUnsafeBufferPointer { buffer throws(DecodeError) in
            var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
            guard let decoder = WebPAnimDecoderNew(&data, &options) else {
                throw DecodeError(source, .corrupt("libwebp cannot read the animation's chunks"))
            }
            defer { WebPAnimDecoderDelete(decoder) }
            var info = WebPAnimInfo()
            guard WebPAnimDecoderGetInfo(decoder, &info) != 0 else {
                throw DecodeError(source, .corrupt("libwebp cannot read the animation's header"))
            }
            return try body(decoder, info)
        }
    }

    private static func error(_ status: VP8StatusCode, source: String) -> DecodeError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA:
            DecodeError(source, .truncated("libwebp: the data ends before its chunks do (cut short, or a size that lies)"))
        case VP8_STATUS_UNSUPPORTED_FEATURE: DecodeError(source, .unsupported("libwebp: a feature it does not decode"))
        case VP8_STATUS_OUT_OF_MEMORY: DecodeError(source, .tooLarge("libwebp ran out of memory"))
        default: DecodeError(source, .corrupt("libwebp: the bitstream is invalid (status \(status.rawValue))"))
        }
    }
}
