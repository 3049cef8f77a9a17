/// Decodes UTF-8 (with or without BOM) and UTF-16 LE/BE (with BOM) text.
///
/// Invalid byte sequences are an error that gives the byte offset, unless `replaceInvalid` asks for
/// U+FFFD in their place.
public struct TextDecoder: Sendable {
    public var replaceInvalid: Bool

    public init(replaceInvalid: Bool = false) {
        self.replaceInvalid = replaceInvalid
    }

    public func decode(_ bytes: [UInt8], source: String) throws(DecodeError) -> Text {
        let (encoding, bomLength) = Self.encoding(of: bytes)
        let body = bytes[bomLength...]
        switch encoding {
        case .utf8, .utf8BOM:
            return Text(
                string: try transcode(body, as: UTF8.self, startOffset: bomLength, source: source), encoding: encoding)
        case .utf16LE, .utf16BE:
            guard body.count % 2 == 0 else {
                throw DecodeError(source, .invalidText("UTF-16 text has an odd number of bytes (\(bytes.count))"))
            }
            let units = stride(from: body.startIndex, to: body.endIndex, by: 2).map { index -> UInt16 in
                let first = UInt16(body[index])
                let second = UInt16(body[index + 1])
                return encoding == .utf16LE ? first | second << 8 : first << 8 | second
            }
            return Text(
                string: try transcode(units, as: UTF16.self, startOffset: bomLength, source: source), encoding: encoding
            )
        }
    }

    private func transcode<Units: Collection, Codec: UnicodeCodec>(
        _ units: Units, as codec: Codec.Type, startOffset: Int, source: String
    ) throws(DecodeError) -> String where Units.Element == Codec.CodeUnit {
        var parser = Codec()
        var iterator = units.makeIterator()
        var scalars = String.UnicodeScalarView()
        var offset = startOffset
        let unitSize = MemoryLayout<Codec.CodeUnit>.size
        loop: while true {
            switch parser.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                offset += scalar.utf8Length(in: codec) * unitSize
            case .emptyInput:
                break loop
            case .error:
                guard replaceInvalid else {
                    let name = codec == UTF8.self ? "UTF-8" : "UTF-16"
                    throw DecodeError(source, .invalidText("invalid \(name) near byte \(offset)"))
                }
                scalars.append("\u{FFFD}")
                offset += unitSize
            }
        }
        return String(scalars)
    }

    /// The encoding a byte-order mark announces (UTF-8 without one), and the mark's length.
    static func encoding(of bytes: [UInt8]) -> (Text.Encoding, Int) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return (.utf8BOM, 3) }
        if bytes.starts(with: [0xFF, 0xFE]) { return (.utf16LE, 2) }
        if bytes.starts(with: [0xFE, 0xFF]) { return (.utf16BE, 2) }
        return (.utf8, 0)
    }

    /// Whether leading bytes look like text: a byte-order mark, or no NUL and almost no control bytes.
    /// Invalid UTF-8 still counts as text here, so that decoding reports where it is invalid.
    static func looksLikeText(_ head: [UInt8]) -> Bool {
        if encoding(of: head).1 > 0 { return true }
        if head.isEmpty { return false }
        var controls = 0
        for byte in head {
            if byte == 0 { return false }
            if (byte < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D, 0x0B, 0x1B].contains(byte)) || byte == 0x7F { controls += 1 }
        }
        return controls * 20 <= head.count
    }
}

extension Unicode.Scalar {
    fileprivate func utf8Length<Codec: UnicodeCodec>(in codec: Codec.Type) -> Int {
        codec == UTF8.self ? UTF8.width(self) : UTF16.width(self)
    }
}
