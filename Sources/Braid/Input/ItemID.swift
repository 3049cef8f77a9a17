/// How file and member names, which are bytes, become item ids, which are UTF-8 text.
///
/// Linux names may hold any bytes but `/` and NUL, while ids are written into JSON. Valid UTF-8 stays as it is;
/// each byte of an invalid sequence becomes `%XX` (two upper-case hex digits), and `%` itself becomes `%25`, so the
/// mapping is reversible: ``bytes(of:)`` gives back the exact name. A name without `%` and with valid UTF-8 is
/// its own id.
public enum ItemID {
    /// The id of a name given as raw bytes.
    public static func escaping(_ name: some Collection<UInt8>) -> String {
        let bytes = Array(name)
        var id = ""
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        // The parser reports how many bytes each step consumed, which locates invalid bytes in `bytes`.
        var position = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar == "%" { id += "%25" } else { id.unicodeScalars.append(scalar) }
                position += encoded.count
            case .error(let length):
                for byte in bytes[position..<position + length] { id += percentEscape(byte) }
                position += length
            case .emptyInput:
                return id
            }
        }
    }

    /// The id of a name given as a string (already valid UTF-8): only `%` is escaped.
    public static func escaping(_ name: String) -> String {
        escaping(Array(name.utf8))
    }

    /// The original name bytes of an id made by ``escaping(_:)-(Collection<UInt8>)``, or `nil` if `id` holds a `%`
    /// not followed by two hex digits.
    public static func bytes(of id: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var utf8 = id.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.next().flatMap(hexValue), let low = utf8.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func percentEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
