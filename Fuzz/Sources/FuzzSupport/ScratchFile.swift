#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file in the temporary folder that each fuzz input overwrites, for readers that take a path
/// (the tar reader's `ByteReader`, the memory-mapped safetensors reader).
public struct ScratchFile {
    public let path: String

    /// `name` tells the targets' files apart; the process id keeps parallel fuzzing jobs apart.
    public init(name: String) {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        path = "\(folder)/braid-fuzz-\(getpid())-\(name)"
    }

    /// Replaces the file's content with `bytes`; a failed write stops the run, as no input can be tested then.
    public func replaceContents(with bytes: UnsafeRawBufferPointer) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot create \(path)")
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            precondition(count > 0, "cannot write \(path)")
            written += count
        }
    }
}
