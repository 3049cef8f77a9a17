/// Builds one JSON object as the bytes of one output line, keys in the order they are appended.
///
/// Floats are written in the shortest form that reads back to the same value (Swift's `description`), so a
/// `Float` survives the JSON round trip bit for bit. JSON has no NaN or infinity; they are written as `null`.
struct JSONLine {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]

    mutating func append(key: String, string: String?) {
        appendKey(key)
        if let string { Self.appendString(string, to: &bytes) } else { bytes += "null".utf8 }
    }

    mutating func append(key: String, integer: Int) {
        appendKey(key)
        bytes += String(integer).utf8
    }

    mutating func append(key: String, floats: [Float], as format: EmbeddingFormat = .float) {
        appendKey(key)
        if format == .base64 {
            bytes.append(UInt8(ascii: "\""))
            bytes += EmbeddingFormat.base64(of: floats)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        bytes.append(UInt8(ascii: "["))
        for (position, value) in floats.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += Self.number(value).utf8
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func append(key: String, float: Float) {
        appendKey(key)
        bytes += Self.number(float).utf8
    }

    /// Appends an array of strings.
    mutating func append(key: String, strings: [String]) {
        appendKey(key)
        bytes.append(UInt8(ascii: "["))
        for (position, string) in strings.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendString(string, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends an array of finished objects.
    mutating func append(key: String, objects: [JSONLine]) {
        appendKey(key)
        bytes.append(UInt8(ascii: "["))
        for (position, object) in objects.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += object.bytes
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends `meta` as an object with sorted keys.
    mutating func append(key: String, meta: [String: MetaValue]) {
        appendKey(key)
        var object = JSONLine()
        for (name, value) in meta.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .string(let text): object.append(key: name, string: text)
            case .integer(let integer): object.append(key: name, integer: integer)
            case .number(let number):
                object.appendKey(name)
                object.bytes += Self.number(number).utf8
            case .bool(let flag):
                object.appendKey(name)
                object.bytes += (flag ? "true" : "false").utf8
            }
        }
        bytes += object.bytes
        bytes.append(UInt8(ascii: "}"))
    }

    /// The finished object followed by `\n`.
    /// Appends a value that is JSON already (an object read back from a store), as it is.
    mutating func append(key: String, json: String) {
        appendKey(key)
        bytes += json.utf8
    }

    var line: [UInt8] { bytes + [UInt8(ascii: "}"), UInt8(ascii: "\n")] }

    private mutating func appendKey(_ key: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        Self.appendString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    static func number<Value: BinaryFloatingPoint & CustomStringConvertible>(_ value: Value) -> String {
        value.isFinite ? value.description : "null"
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`-style or `\u00XX` escapes.
    static func appendString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += #"\""#.utf8
            case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
            case UInt8(ascii: "\n"): bytes += #"\n"#.utf8
            case UInt8(ascii: "\r"): bytes += #"\r"#.utf8
            case UInt8(ascii: "\t"): bytes += #"\t"#.utf8
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes += #"\u00"#.utf8
                bytes += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// `text` as a JSON string literal, escaped as every output line escapes it: for messages and hand-made lines.
public func jsonString(_ text: String) -> String {
    var bytes: [UInt8] = []
    JSONLine.appendString(text, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}
