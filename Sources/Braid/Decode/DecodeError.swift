/// Why an item could not be decoded. Every case names the item, so one line on stderr says which file
/// failed and why.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unreadable(String)
        case empty
        case unknownFormat
        case notA(MediaFormat, because: String)
        case corrupt(String)
        case truncated(String)
        case tooLarge(String)
        case unsupported(String)
        case invalidText(String)
    }

    /// The item id or path the error belongs to.
    public let source: String
    public let reason: Reason

    public init(_ source: String, _ reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(message)" }

    /// The reason alone, without the source.
    public var message: String {
        switch reason {
        case .unreadable(let detail): "cannot read: \(detail)"
        case .empty: "empty file (0 bytes)"
        case .unknownFormat: "unknown format: not text, PNG, JPEG, WebP, WAV, or audio or video FFmpeg can open"
        case .notA(let format, let detail): "not a \(format.displayName) file: \(detail)"
        case .corrupt(let detail): "corrupt: \(detail)"
        case .truncated(let detail): "truncated: \(detail)"
        case .tooLarge(let detail): "too large: \(detail)"
        case .unsupported(let detail): "unsupported: \(detail)"
        case .invalidText(let detail): "invalid text: \(detail)"
        }
    }
}
