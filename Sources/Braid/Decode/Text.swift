/// Decoded text and the encoding it was stored in.
public struct Text: Sendable, Equatable {
    public enum Encoding: String, Sendable {
        case utf8 = "utf-8"
        case utf8BOM = "utf-8-bom"
        case utf16LE = "utf-16le"
        case utf16BE = "utf-16be"
    }

    public let string: String
    public let encoding: Encoding

    public init(string: String, encoding: Encoding) {
        self.string = string
        self.encoding = encoding
    }
}
