/// A one-pass byte stream, such as stdin, that a decoder reads as far as it needs.
///
/// A decoder that needs the whole file (PNG, WAV, text) reads it into memory up to its size limit; the video
/// decoder streams what does not fit, so a pipe that never ends costs bounded memory. Only one item owns a
/// stream, and the stages hand an item to one task at a time.
public final class ByteStream: @unchecked Sendable, Equatable {
    private let reader: ByteReader

    /// Standard input.
    public static func standardInput() -> ByteStream { ByteStream(reader: ByteReader(descriptor: 0, name: "-")) }

    init(reader: ByteReader) {
        self.reader = reader
    }

    /// The next `count` bytes (fewer at the end), left in place.
    public func peek(count: Int) throws(InputError) -> [UInt8] { try reader.peek(count: count) }

    /// The next bytes that are at hand; empty only at the end of the stream.
    public func readAvailable() throws(InputError) -> [UInt8] { try reader.readAvailable() }

    /// The bytes up to the end of the stream, or the first `limit + 1` bytes when it holds more than `limit`.
    public func read(upTo limit: Int) throws(InputError) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count <= limit {
            let chunk = try reader.readAvailable()
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return bytes
    }

    public static func == (lhs: ByteStream, rhs: ByteStream) -> Bool { lhs === rhs }
}
