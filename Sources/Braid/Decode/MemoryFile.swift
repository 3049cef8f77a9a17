import CSndFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes in memory served to a C library (libsndfile, FFmpeg) through its read and seek callbacks.
final class MemoryFile {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The file behind a C callback's opaque pointer, which is always an unretained `MemoryFile`.
    static func from(_ pointer: UnsafeMutableRawPointer?) -> MemoryFile {
        Unmanaged<MemoryFile>.fromOpaque(pointer!).takeUnretainedValue()
    }

    static let virtualIO = SF_VIRTUAL_IO(
        get_filelen: { sf_count_t(from($0).bytes.count) },
        seek: { offset, whence, pointer in
            let file = from(pointer)
            let base = whence == SEEK_CUR ? file.offset : whence == SEEK_END ? file.bytes.count : 0
            file.offset = min(max(0, base + Int(offset)), file.bytes.count)
            return sf_count_t(file.offset)
        },
        read: { destination, count, pointer in
            let file = from(pointer)
            let length = min(Int(count), file.bytes.count - file.offset)
            file.bytes.withUnsafeBytes { source in
                destination?.copyMemory(from: source.baseAddress! + file.offset, byteCount: length)
            }
            file.offset += length
            return sf_count_t(length)
        },
        write: { _, _, _ in 0 },
        tell: { sf_count_t(from($0).offset) })
}
