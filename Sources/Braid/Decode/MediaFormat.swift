/// The container formats Braid tells apart by their first bytes, never by file name.
public enum MediaFormat: String, Sendable, Equatable, Codable {
    case png
    case wav
    case video
    case text

    public var displayName: String {
        switch self {
        case .png: "PNG"
        case .wav: "WAV"
        case .video: "video"
        case .text: "text"
        }
    }

    public var modality: Modality {
        switch self {
        case .png: .image
        case .wav: .audio
        case .video: .video
        case .text: .text
        }
    }

    /// The format a file name's extension suggests, or nil for an extension Braid does not know.
    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "png": self = .png
        case "wav", "wave": self = .wav
        case "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "flv", "ogv", "wmv", "3gp": self = .video
        case "txt", "text", "md", "csv", "tsv", "json", "jsonl": self = .text
        default: return nil
        }
    }

    /// How many leading bytes `sniff` looks at.
    public static let sniffLength = 64

    /// The format the leading bytes announce, or nil when they match nothing Braid decodes.
    ///
    /// Video containers are recognised by their own magic numbers (ISO BMFF `ftyp`, Matroska/WebM EBML,
    /// RIFF AVI, MPEG-PS, FLV, Ogg, ASF); anything else that is not text is left to FFmpeg's own probe.
    public static func sniff<Bytes: RandomAccessCollection>(_ head: Bytes) -> MediaFormat?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let bytes = Array(head.prefix(sniffLength))
        func starts(with magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        let riff = starts(with: Array("RIFF".utf8)) || starts(with: Array("RF64".utf8))
        if riff && starts(with: Array("WAVE".utf8), at: 8) { return .wav }
        if riff && starts(with: Array("AVI ".utf8), at: 8) { return .video }
        if starts(with: Array("ftyp".utf8), at: 4) { return .video }
        if starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return .video }  // EBML: Matroska, WebM
        if starts(with: [0x00, 0x00, 0x01, 0xBA]) || starts(with: [0x00, 0x00, 0x01, 0xB3]) { return .video }
        if starts(with: Array("FLV".utf8)) || starts(with: Array("OggS".utf8)) { return .video }
        if starts(with: [0x30, 0x26, 0xB2, 0x75]) { return .video }  // ASF / WMV
        if TextDecoder.looksLikeText(bytes) { return .text }
        return nil
    }
}
