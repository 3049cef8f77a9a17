/// Reads a tar stream member by member (`--tar FILE|-`), holding one member's bytes at a time.
///
/// Understands the formats `tar` writes on Linux: POSIX ustar (name + prefix), pax extended headers (`path`,
/// `size`) and GNU long names (`L`). Regular files become `.bytes` items whose id is the member name (a leading
/// `./` dropped, then ``ItemID`` escaping). Folders, and members whose extension the filter rejects, are skipped;
/// links and other member types, absolute names and names with a `..` component become per-item failures and their
/// bodies are skipped. A bad header checksum or a
/// stream that ends inside a member ends the input with an ``InputError``, since nothing after it can be trusted.
///
/// Layout references: POSIX.1-2017 `pax` "ustar Interchange Format" and "pax Extended Header"; GNU tar manual,
/// "Basic Tar Format" (`L`/`K` long name members, base-256 sizes).
struct TarReader {
    private static let blockSize = 512

    private struct Header {
        var name: [UInt8]
        var size: Int
        var type: UInt8
    }

    /// What earlier `x`/`L` members said about the next real member.
    private struct Overrides {
        var name: [UInt8]?
        var size: Int?
    }

    private let reader: ByteReader
    private let filter: ExtensionFilter
    private var finished = false

    init(reader: ByteReader, filter: ExtensionFilter = ExtensionFilter()) {
        self.reader = reader
        self.filter = filter
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        var overrides = Overrides()
        while !finished {
            guard let header = try readHeader() else {
                finished = true
                // Drain the end-of-archive padding so the writing `tar` is not cut off mid-record.
                try reader.skip(count: .max)
                return nil
            }
            switch header.type {
            case UInt8(ascii: "x"):
                let records = try readBody(size: header.size)
                overrides = try Self.applyPax(records, to: overrides, in: reader)
            case UInt8(ascii: "L"):
                overrides.name = Array(try readBody(size: header.size).prefix { $0 != 0 })
            case UInt8(ascii: "g"), UInt8(ascii: "K"):
                try skipBody(size: header.size)
            default:
                let name = overrides.name ?? header.name
                let size = overrides.size ?? header.size
                overrides = Overrides()
                if let item = try member(name, type: header.type, size: size) { return item }
            }
        }
        return nil
    }

    /// The item for one real member, or `nil` for a folder or a member the filter rejects.
    private func member(_ rawName: [UInt8], type: UInt8, size: Int) throws(InputError) -> Result<Item, ItemFailure>? {
        var name = rawName[...]
        while name.starts(with: "./".utf8) { name = name.dropFirst(2) }
        let id = ItemID.escaping(name)
        let components = name.split(separator: UInt8(ascii: "/"))
        switch type {
        case UInt8(ascii: "5"):
            try skipBody(size: size)
            return nil
        case _ where !filter.accepts(name: Array(name)):
            try skipBody(size: size)
            return nil
        case _ where rawName.first == UInt8(ascii: "/"):
            try skipBody(size: size)
            return .failure(ItemFailure(id: id, message: "tar member has an absolute name"))
        case _ where components.contains(where: { $0.elementsEqual("..".utf8) }):
            try skipBody(size: size)
            return .failure(ItemFailure(id: id, message: "tar member name leaves the archive with '..'"))
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            return .success(Item(id: id, source: .bytes(try readBody(size: size))))
        default:
            try skipBody(size: size)
            let kind =
                switch type {
                case UInt8(ascii: "1"): "hard link"
                case UInt8(ascii: "2"): "symbolic link"
                default: "special file"
                }
            return .failure(ItemFailure(id: id, message: "tar member is a \(kind), not a regular file"))
        }
    }

    /// The next header, or `nil` at the end-of-archive zero block or a clean end of stream.
    private func readHeader() throws(InputError) -> Header? {
        let offset = reader.offset
        let block = try reader.read(count: Self.blockSize)
        if block.isEmpty { return nil }
        guard block.count == Self.blockSize else { throw problem("stream ends inside a header at byte \(offset)") }
        if block.allSatisfy({ $0 == 0 }) { return nil }

        guard let recorded = Self.number(block[148..<156]) else {
            throw problem("unreadable checksum at byte \(offset)")
        }
        // The checksum is the sum of the header bytes with its own field counted as spaces; old writers used signed
        // bytes, so either sum is accepted.
        let unsigned = block.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 32 : Int($1.element)) }
        let signed = block.enumerated().reduce(0) {
            $0 + (148..<156 ~= $1.offset ? 32 : Int(Int8(bitPattern: $1.element)))
        }
        guard recorded == unsigned || recorded == signed else { throw problem("bad header checksum at byte \(offset)") }
        guard let size = Self.number(block[124..<136]) else {
            throw problem("unreadable member size at byte \(offset)")
        }

        var name = Array(block[0..<100].prefix { $0 != 0 })
        // POSIX ustar splits long names into prefix (345..<500) + "/" + name; GNU tar uses that area for other fields
        // and marks itself with the magic "ustar  ".
        if block[257..<263].elementsEqual("ustar\0".utf8) {
            let prefix = block[345..<500].prefix { $0 != 0 }
            if !prefix.isEmpty { name = Array(prefix) + [UInt8(ascii: "/")] + name }
        }
        return Header(name: name, size: size, type: block[156])
    }

    /// An octal field (NUL/space padded), or GNU base-256 when the top bit of the first byte is set.
    private static func number(_ field: ArraySlice<UInt8>) -> Int? {
        if let first = field.first, first & 0x80 != 0 {
            var value = Int(first & 0x3F)
            for byte in field.dropFirst() {
                guard value < Int.max >> 8 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let digits = field.drop { $0 == UInt8(ascii: " ") }.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty else { return 0 }
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit), value < Int.max >> 3 else { return nil }
            value = value << 3 | Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Applies the `path` and `size` records of a pax extended header ("<length> <key>=<value>\n" each).
    private static func applyPax(
        _ body: [UInt8], to overrides: Overrides, in reader: ByteReader
    ) throws(InputError)
        -> Overrides
    {
        var result = overrides
        var rest = body[...]
        while !rest.isEmpty {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)),
                // A record holds at least its length, the space and the closing newline.
                length > space - rest.startIndex + 1, length <= rest.count
            else {
                throw InputError(file: reader.name, problem: "malformed pax header before byte \(reader.offset)")
            }
            let record = rest[rest.index(after: space)..<(rest.startIndex + length - 1)]
            rest = rest[(rest.startIndex + length)...]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: record[..<equals], as: UTF8.self)
            let value = record[record.index(after: equals)...]
            switch key {
            case "path": result.name = Array(value)
            case "size":
                guard let size = Int(String(decoding: value, as: UTF8.self)), size >= 0 else {
                    throw InputError(
                        file: reader.name, problem: "pax header gives an invalid size before byte \(reader.offset)")
                }
                result.size = size
            default: break
            }
        }
        return result
    }

    private func readBody(size: Int) throws(InputError) -> [UInt8] {
        let body = try reader.read(count: size)
        guard body.count == size else { throw problem("stream ends inside a member of \(size) bytes") }
        try skipPadding(after: size)
        return body
    }

    private func skipBody(size: Int) throws(InputError) {
        guard try reader.skip(count: size) == size else {
            throw problem("stream ends inside a member of \(size) bytes")
        }
        try skipPadding(after: size)
    }

    private func skipPadding(after size: Int) throws(InputError) {
        let padding = (Self.blockSize - size % Self.blockSize) % Self.blockSize
        guard try reader.skip(count: padding) == padding else { throw problem("stream ends inside block padding") }
    }

    private func problem(_ text: String) -> InputError {
        InputError(file: reader.name, problem: "tar: \(text)")
    }
}
