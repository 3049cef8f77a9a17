/// The container formats Braid tells apart by their first bytes, never by file name.
public enum MediaFormat: String, Sendable, Equatable, Codable {
    case png
    case jpeg
    case webp
    case wav
    /// Compressed audio FFmpeg decodes: MP3, AAC/M4A, FLAC, Ogg Vorbis, Opus, …
    case audio
    case video
    case text

    public var displayName: String {
        switch self {
        case .png: "PNG"
        case .jpeg: "JPEG"
        case .webp: "WebP"
        case .wav: "WAV"
        case .audio: "compressed audio"
        case .video: "video"
        case .text: "text"
        }
    }

    public var modality: Modality {
        switch self {
        case .png, .jpeg, .webp: .image
        case .wav, .audio: .audio
        case .video: .video
        case .text: .text
        }
    }

    /// The format a file name's extension suggests, or nil for an extension Braid does not know.
    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg", "jpe", "jfif": self = .jpeg
        case "webp": self = .webp
        case "wav", "wave": self = .wav
        case "mp3", "m4a", "aac", "flac", "oga", "opus", "wma": self = .audio
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
    /// RIFF AVI, MPEG-PS, FLV, Ogg, ASF), audio files by theirs (an ID3 tag, an MPEG audio or ADTS frame header,
    /// `fLaC`, an ISO BMFF file of brand `M4A `); anything else that is not text is left to FFmpeg's own probe.
    /// A container that may hold either (Ogg, Matroska, MP4) is a video here; the decoder reads it as audio when
    /// it has no picture.
    public static func sniff<Bytes: RandomAccessCollection>(_ head: Bytes) -> MediaFormat?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let bytes = Array(head.prefix(sniffLength))
        func starts(with magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        let riff = starts(with: Array("RIFF".utf8)) || starts(with: Array("RF64".utf8))
        if riff && starts(with: Array("WAVE".utf8), at: 8) { return .wav }
        if riff && starts(with: Array("WEBP".utf8), at: 8) { return .webp }
        if riff && starts(with: Array("AVI ".utf8), at: 8) { return .video }
        if starts(with: Array("ftyp".utf8), at: 4) {
            return starts(with: Array("M4A ".utf8), at: 8) || starts(with: Array("M4B ".utf8), at: 8) ? .audio : .video
        }
        if starts(with: Array("ID3".utf8)) || starts(with: Array("fLaC".utf8)) { return .audio }
        // MPEG audio: 11 sync bits, then layer III or II (layer I, bits 11, would take UTF-16's byte-order mark
        // FF FE for a frame), a bitrate index other than 1111 and a sample rate index other than 11; ADTS (AAC):
        // 12 sync bits, then layer 00.
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] & 0xE0 == 0xE0 {
            let layer = (bytes[1] >> 1) & 0x3
            let isMPEGAudio = (layer == 1 || layer == 2) && bytes[2] >> 4 != 0xF && (bytes[2] >> 2) & 0x3 != 0x3
            let isADTS = bytes[1] & 0xF6 == 0xF0
            if isMPEGAudio || isADTS { return .audio }
        }
        if starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return .video }  // EBML: Matroska, WebM
        if starts(with: [0x00, 0x00, 0x01, 0xBA]) || starts(with: [0x00, 0x00, 0x01, 0xB3]) { return .video }
        if starts(with: Array("FLV".utf8)) || starts(with: Array("OggS".utf8)) { return .video }
        if starts(with: [0x30, 0x26, 0xB2, 0x75]) { return .video }  // ASF / WMV
        if TextDecoder.looksLikeText(bytes) { return .text }
        return nil
    }
}
