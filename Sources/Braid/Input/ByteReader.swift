#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buffered reads from a file descriptor: lines for `--lines`, `--records` and `--paths-from`, exact-size blocks
/// for `--tar`. Only one 64 KiB buffer is held, so a stream of any length is read in constant memory.
final class ByteReader {
    /// The name errors use: the path, or `-` for stdin.
    let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var reachedEnd = false
    /// Bytes handed out so far, for error messages that give an offset.
    private(set) var offset = 0

    /// Opens `path` for reading; `-` is stdin.
    convenience init(path: String) throws(InputError) {
        if path == "-" {
            self.init(descriptor: STDIN_FILENO, name: path)
        } else {
            try self.init(path: Array(path.utf8), name: path)
        }
    }

    /// Opens the file at the raw bytes `path`; `name` is what errors call it.
    init(path: [UInt8], name: String) throws(InputError) {
        let opened = open(cPath(path), O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw InputError(file: name, problem: "cannot open: \(errnoDescription())") }
        self.name = name
        descriptor = opened
        ownsDescriptor = true
    }

    /// Reads an already open descriptor, which stays open (stdin).
    init(descriptor: Int32, name: String) {
        self.name = name
        self.descriptor = descriptor
        ownsDescriptor = false
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its `\n` (a last line without `\n` counts), or `nil` at the end.
    func readLine() throws(InputError) -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                return take(newline - start, skipping: 1)
            }
            if reachedEnd {
                return start < buffer.count ? take(buffer.count - start, skipping: 0) : nil
            }
            try fill()
        }
    }

    /// Exactly `count` bytes, fewer only if the stream ends first.
    func read(count: Int) throws(InputError) -> [UInt8] {
        while buffer.count - start < count && !reachedEnd { try fill() }
        return take(min(count, buffer.count - start), skipping: 0)
    }

    /// Discards up to `count` bytes; returns how many were there.
    @discardableResult
    func skip(count: Int) throws(InputError) -> Int {
        var remaining = count
        while remaining > 0 {
            if start == buffer.count {
                if reachedEnd { break }
                try fill()
                continue
            }
            let step = min(remaining, buffer.count - start)
            start += step
            offset += step
            remaining -= step
        }
        return count - remaining
    }

    /// Up to `count` next bytes, left in place for the next read.
    func peek(count: Int) throws(InputError) -> [UInt8] {
        while buffer.count - start < count && !reachedEnd { try fill() }
        return Array(buffer[start..<min(buffer.count, start + count)])
    }

    /// Whatever is buffered, or one refill's worth when nothing is; empty only at the end of the stream.
    func readAvailable() throws(InputError) -> [UInt8] {
        if start == buffer.count && !reachedEnd { try fill() }
        return take(buffer.count - start, skipping: 0)
    }

    /// Everything left in the stream.
    func readToEnd() throws(InputError) -> [UInt8] {
        while !reachedEnd { try fill() }
        return take(buffer.count - start, skipping: 0)
    }

    private func take(_ count: Int, skipping separator: Int) -> [UInt8] {
        let bytes = Array(buffer[start..<start + count])
        start += count + separator
        offset += count + separator
        return bytes
    }

    private func fill() throws(InputError) {
        buffer.removeSubrange(0..<start)
        start = 0
        let chunk = 64 * 1024
        let previous = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        while true {
            let got = buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return 0 }
                let read = { systemRead(self.descriptor, base + previous, chunk) }
                return descriptor == STDIN_FILENO ? InputStall.standardInput.reading(descriptor, read) : read()
            }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else {
                buffer.removeSubrange(previous...)
                throw InputError(file: name, problem: "read failed at byte \(offset): \(errnoDescription())")
            }
            buffer.removeSubrange((previous + got)...)
            if got == 0 { reachedEnd = true }
            return
        }
    }
}

#if canImport(Glibc)
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    private let systemRead = Darwin.read
#endif

/// The text of the current `errno`, e.g. "No such file or directory".
func errnoDescription(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
