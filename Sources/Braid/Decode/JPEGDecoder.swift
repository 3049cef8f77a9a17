import CJPEGReader

/// What `braid probe` reports for a JPEG file.
public struct JPEGInfo: Sendable, Equatable, Codable {
    /// As stored, before the orientation turns it.
    public var width: Int
    public var height: Int
    /// `grey`, `ycbcr`, `rgb`, `cmyk` or `ycck`.
    public var colorSpace: String
    public var progressive: Bool
    /// The EXIF orientation, when the file has one.
    public var orientation: ExifOrientation?
    /// Channels after decoding: 1 for grey, 3 for the rest.
    public var channels: Int
}

/// Decodes JPEG with libjpeg-turbo, from bytes in memory, to 8-bit grey or RGB turned the right way up by its EXIF
/// orientation: baseline and progressive, any chroma subsampling, restart markers, and CMYK or YCCK (Adobe) made
/// RGB as Pillow makes them. A file libjpeg finds damaged (cut short, a bad Huffman code) is an error, never an
/// image with grey where the data ran out.
public struct JPEGDecoder: Sendable {
    /// Images with more pixels than this are refused from the header, before any pixel memory is allocated.
    public var maxPixels: Int
    /// When set, the image is decoded at 1/2, 1/4 or 1/8 of its size in the DCT domain, the largest reduction
    /// that keeps both sides at least this long (what an encoder that shrinks every image needs), much faster
    /// than decoding it whole.
    public var minimumSide: Int?
    /// At 1/8, a file with at least this many bytes after its headers is decoded by two threads that meet in the
    /// middle (`braid_jpeg_eighth.h`), while a core would otherwise idle; 0 keeps one.
    var splitBytes = 1 << 16
    /// Leaves decoding at 1/8 to libjpeg alone, for comparing Braid's own entropy decoding with it.
    var libjpegOnly = false

    public init(maxPixels: Int = PNGDecoder.defaultMaxPixels, minimumSide: Int? = nil) {
        self.maxPixels = maxPixels
        self.minimumSide = minimumSide
    }

    /// The reduction `minimumSide` allows for an image of this size: Pillow's `draft` rule, the largest of 8, 4
    /// and 2 that the ratio of each side to the minimum reaches, else 1.
    static func reduction(width: Int, height: Int, minimumSide: Int?) -> Int {
        guard let minimumSide, minimumSide > 0 else { return 1 }
        let ratio = min(width / minimumSide, height / minimumSide)
        return [8, 4, 2].first { ratio >= $0 } ?? 1
    }

    public func info(_ bytes: [UInt8], source: String) throws(DecodeError) -> JPEGInfo {
        let header = try readHeader(bytes, source: source)
        let names = [1: "grey", 2: "rgb", 3: "ycbcr", 4: "cmyk", 5: "ycck"]
        return JPEGInfo(
            width: Int(header.width), height: Int(header.height),
            colorSpace: names[Int(header.color_space)] ?? "unknown", progressive: header.progressive != 0,
            orientation: ExifOrientation(rawValue: Int(header.orientation)), channels: Int(header.out_channels))
    }

    /// The image as it is meant to be seen; its ``Image/orientation`` is the one it was stored in.
    public func decode(_ bytes: [UInt8], source: String) throws(DecodeError) -> Image {
        let header = try readHeader(bytes, source: source)
        let (storedWidth, storedHeight) = (Int(header.width), Int(header.height))
        guard storedWidth * storedHeight <= maxPixels else {
            throw DecodeError(
                source,
                .tooLarge("\(storedWidth)×\(storedHeight) pixels are over the limit of \(maxPixels) (--max-pixels)"))
        }
        return try decode(
            bytes, header: header,
            reduction: Self.reduction(width: storedWidth, height: storedHeight, minimumSide: minimumSide),
            source: source
        ).image
    }

    /// The image decoded at 1/`reduction` of each side (1, 2, 4 or 8), whatever `minimumSide` says.
    func decode(_ bytes: [UInt8], reduction: Int, source: String) throws(DecodeError) -> Image {
        try decodeReporting(bytes, reduction: reduction, source: source).image
    }

    /// The same bytes at 1/8 through Braid's entropy decoder, split between two threads from the first byte on,
    /// and through libjpeg alone: the fuzzer and the regression tests require that they end alike, with the same
    /// pixels or the same error.
    func eighthByBothDecoders(_ bytes: [UInt8], source: String) -> (
        braid: Result<Image, DecodeError>, libjpeg: Result<Image, DecodeError>
    ) {
        var split = self
        split.splitBytes = 1
        split.libjpegOnly = false
        var libjpeg = self
        libjpeg.libjpegOnly = true
        return (
            Result { () throws(DecodeError) in try split.decode(bytes, reduction: 8, source: source) },
            Result { () throws(DecodeError) in try libjpeg.decode(bytes, reduction: 8, source: source) }
        )
    }

    /// Who decoded a file's entropy-coded data.
    enum EntropyDecoding: Equatable {
        case libjpeg
        /// Braid's decoder at 1/8 (`braid_jpeg_eighth.h`), alone or with a second thread that met it.
        case braid(threads: Int)
    }

    /// The image decoded at 1/`reduction`, and who decoded it.
    func decodeReporting(
        _ bytes: [UInt8], reduction: Int, source: String
    ) throws(DecodeError) -> (image: Image, decoding: EntropyDecoding) {
        try decode(bytes, header: try readHeader(bytes, source: source), reduction: reduction, source: source)
    }

    private func decode(
        _ bytes: [UInt8], header: braid_jpeg_info, reduction: Int, source: String
    ) throws(DecodeError) -> (image: Image, decoding: EntropyDecoding) {
        // libjpeg's scaled sizes round up.
        let width = (Int(header.width) + reduction - 1) / reduction
        let height = (Int(header.height) + reduction - 1) / reduction
        let channels = Int(header.out_channels)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var message = [CChar](repeating: 0, count: 256)
        let options = braid_jpeg_options(
            reduction: Int32(reduction), split_bytes: splitBytes, libjpeg_only: libjpegOnly ? 1 : 0)
        let status = pixels.withUnsafeMutableBufferPointer { pixels in
            braid_jpeg_decode(bytes, bytes.count, options, pixels.baseAddress, pixels.count, &message, message.count)
        }
        guard status >= 0 else { throw Self.error(message, source: source) }
        let orientation = ExifOrientation(rawValue: Int(header.orientation))
        let stored = Image(width: width, height: height, channels: channels, bytes: pixels)
        var shown = (orientation ?? .normal).apply(to: stored)
        shown.orientation = orientation
        let decoding: EntropyDecoding =
            switch status {
            case Int32(BRAID_JPEG_TWO_THREADS): .braid(threads: 2)
            case Int32(BRAID_JPEG_ONE_THREAD): .braid(threads: 1)
            default: .libjpeg
            }
        return (shown, decoding)
    }

    private func readHeader(_ bytes: [UInt8], source: String) throws(DecodeError) -> braid_jpeg_info {
        var header = braid_jpeg_info()
        var message = [CChar](repeating: 0, count: 256)
        guard braid_jpeg_read_info(bytes, bytes.count, &header, &message, message.count) == 0 else {
            throw Self.error(message, source: source)
        }
        return header
    }

    /// libjpeg's message, as a truncation when the data ran out.
    private static func error(_ message: [CChar], source: String) -> DecodeError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let cutShort = text.contains("Premature end") || text.contains("Empty input")
        return DecodeError(source, cutShort ? .truncated("libjpeg: \(text)") : .corrupt("libjpeg: \(text)"))
    }
}
