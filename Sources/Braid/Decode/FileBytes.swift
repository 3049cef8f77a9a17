#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file opened for reading, with errors that name it. Used where a decoder needs the bytes themselves
/// (PNG, text, sniffing) rather than handing the path to a library.
final class FileBytes {
    let size: Int
    private let descriptor: Int32
    private let id: String

    init(path: String, id: String) throws(DecodeError) {
        self.id = id
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DecodeError(id, .unreadable(Self.lastError())) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw DecodeError(id, .unreadable(Self.lastError()))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw DecodeError(id, .unreadable("not a regular file"))
        }
        size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    /// Reads from the current position until `limit` bytes or the end of the file.
    func read(upTo limit: Int) throws(DecodeError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, limit))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw DecodeError(id, .unreadable(Self.lastError())) }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// The whole file, refused when it is larger than `limit` bytes.
    static func readAll(path: String, id: String, limit: Int) throws(DecodeError) -> [UInt8] {
        let file = try FileBytes(path: path, id: id)
        guard file.size <= limit else {
            throw DecodeError(id, .tooLarge("file is \(file.size) bytes, over the limit of \(limit)"))
        }
        return try file.read(upTo: file.size)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
