/// `--lines FILE|-`: each line is a text item whose id is its 1-based line number.
///
/// A trailing `\r` is dropped (CRLF files); blank lines are skipped but still counted, so ids stay the line
/// numbers of the file. A line that is not valid UTF-8 becomes a failure.
struct TextLines {
    private let reader: ByteReader
    private var lineNumber = 0

    init(reader: ByteReader) {
        self.reader = reader
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        while let line = try reader.readLine() {
            lineNumber += 1
            let id = String(lineNumber)
            guard let text = String(validating: line.droppingCarriageReturn, as: UTF8.self) else {
                return .failure(ItemFailure(id: id, message: "\(reader.name): line \(lineNumber) is not valid UTF-8"))
            }
            if text.allSatisfy(\.isWhitespace) { continue }
            return .success(Item(id: id, source: .text(text)))
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// The line without a final `\r`.
    var droppingCarriageReturn: ArraySlice<UInt8> {
        last == UInt8(ascii: "\r") ? dropLast() : self[...]
    }
}
