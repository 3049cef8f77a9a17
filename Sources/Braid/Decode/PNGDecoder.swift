import CPNGReader

/// What `braid probe` reports for a PNG: the header as stored and the ancillary chunks seen before the image data.
public struct PNGInfo: Sendable, Equatable, Codable {
    public enum ColorType: String, Sendable, Codable {
        case grey, rgb, palette
        case greyAlpha = "grey+alpha"
        case rgba

        /// The colour type from its IHDR code.
        public init?(code: Int) {
            switch code {
            case 0: self = .grey
            case 2: self = .rgb
            case 3: self = .palette
            case 4: self = .greyAlpha
            case 6: self = .rgba
            default: return nil
            }
        }
    }

    public var width: Int
    public var height: Int
    public var bitDepth: Int
    public var colorType: ColorType
    public var interlaced: Bool
    public var hasTransparency: Bool
    public var gamma: Double?
    public var hasSRGB: Bool
    public var hasSignificantBits: Bool
    public var hasBackground: Bool
    public var hasICCProfile: Bool
    /// Channels of the decoded output in the image's own layout (palette and tRNS expanded).
    public var channels: Int
}

/// Decodes PNG with libpng: every colour type and bit depth, tRNS, Adam7.
///
/// Output is the image's own channels expanded to 8 bits (palette to RGB, tRNS to an alpha channel,
/// 16-bit samples scaled with rounding, `v * 255 / 65535`), or floats in [0, 1] that keep 16-bit
/// precision. No gamma correction is applied, as Pillow and ffmpeg apply none.
public struct PNGDecoder: Sendable {
    public enum SampleType: Sendable { case uint8, float32 }

    /// Images with more pixels than this are refused before any pixel memory is allocated.
    public var maxPixels: Int

    public static let defaultMaxPixels = 100_000_000

    public init(maxPixels: Int = PNGDecoder.defaultMaxPixels) {
        self.maxPixels = maxPixels
    }

    public func info(_ bytes: [UInt8], source: String) throws(DecodeError) -> PNGInfo {
        var raw = braid_png_info()
        try call(source) { message, size in
            bytes.withUnsafeBufferPointer { braid_png_read_info($0.baseAddress, $0.count, &raw, message, size) }
        }
        guard let colorType = PNGInfo.ColorType(code: Int(raw.color_type)) else {
            throw DecodeError(source, .corrupt("invalid colour type \(raw.color_type)"))
        }
        return PNGInfo(
            width: Int(raw.width), height: Int(raw.height), bitDepth: Int(raw.bit_depth),
            colorType: colorType, interlaced: raw.interlaced != 0, hasTransparency: raw.has_trns != 0,
            gamma: raw.has_gama != 0 ? raw.gamma : nil, hasSRGB: raw.has_srgb != 0,
            hasSignificantBits: raw.has_sbit != 0, hasBackground: raw.has_bkgd != 0,
            hasICCProfile: raw.has_iccp != 0, channels: Int(raw.out_channels))
    }

    public func decode(_ bytes: [UInt8], as sampleType: SampleType = .uint8, source: String) throws(DecodeError)
        -> Image
    {
        let header = try info(bytes, source: source)
        let pixels = header.width * header.height
        guard pixels <= maxPixels else {
            throw DecodeError(
                source,
                .tooLarge(
                    "\(header.width)×\(header.height) is \(pixels) pixels, over the limit of \(maxPixels) (--max-pixels)"
                ))
        }
        let count = pixels * header.channels
        let geometry = (width: header.width, height: header.height, channels: header.channels)
        if sampleType == .float32 && header.bitDepth == 16 {
            let wide: [UInt16] = try decodeSamples(bytes, count: count, sixteenBit: true, source: source)
            let floats = wide.map { Float($0) * (1 / 65535) }
            return Image(
                width: geometry.width, height: geometry.height, channels: geometry.channels, samples: .float32(floats))
        }
        let narrow: [UInt8] = try decodeSamples(bytes, count: count, sixteenBit: false, source: source)
        let image = Image(width: geometry.width, height: geometry.height, channels: geometry.channels, bytes: narrow)
        return sampleType == .float32
            ? Image(
                width: image.width, height: image.height, channels: image.channels,
                samples: .float32(image.floatSamples))
            : image
    }

    /// Decodes straight into a new array's storage: libpng writes every sample, so it is never zero-filled first.
    private func decodeSamples<Sample: FixedWidthInteger>(
        _ bytes: [UInt8], count: Int, sixteenBit: Bool, source: String
    ) throws(DecodeError) -> [Sample] {
        var failure: DecodeError?
        let samples = [Sample](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(DecodeError) {
                try call(source) { message, size in
                    bytes.withUnsafeBufferPointer {
                        braid_png_decode(
                            $0.baseAddress, $0.count, sixteenBit ? 1 : 0, buffer.baseAddress,
                            count * MemoryLayout<Sample>.size, message, size)
                    }
                }
                initialized = count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return samples
    }

    /// Runs a C entry point and turns its message into a typed error.
    private func call(_ source: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws(DecodeError) {
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status != 0 else { return }
        throw DecodeError(
            source,
            Self.reason(
                forLibPNGMessage: String(
                    decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
    }

    /// Sorts libpng's messages into the kinds a user acts on differently.
    static func reason(forLibPNGMessage message: String) -> DecodeError.Reason {
        let lowered = message.lowercased()
        if lowered.hasPrefix("not a png") { return .notA(.png, because: "no PNG signature") }
        if lowered.hasPrefix("truncated: ") { return .truncated("PNG " + message.dropFirst("truncated: ".count)) }
        if lowered.contains("not enough image data") || lowered.contains("read error") {
            return .truncated("PNG " + message)
        }
        if lowered.hasPrefix("iend: out of place") { return .corrupt("PNG has no image data (IDAT) before IEND") }
        if lowered.contains("crc") { return .corrupt("PNG checksum mismatch (\(message))") }
        return .corrupt("PNG " + message)
    }
}
