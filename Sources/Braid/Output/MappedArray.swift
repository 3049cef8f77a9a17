#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A 2-D float32 `.npy` file mapped into memory, read in place: a search streams a shard of a hundred thousand
/// vectors through the GEMM without copying it, and unmaps it before the next, so memory holds one shard.
final class MappedArray {
    let rows: Int
    let columns: Int
    /// rows × columns values, little-endian float32 (x86-64 and arm64 read them as they are).
    let values: UnsafeBufferPointer<Float>
    private let base: UnsafeMutableRawPointer
    private let length: Int

    init(path: String) throws(OutputError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw OutputError.cannotRead(file: path, problem: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size >= 10,
            let mapped = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED
        else { throw OutputError.cannotRead(file: path, problem: "not a NumPy array") }
        base = mapped
        length = Int(status.st_size)
        let bytes = UnsafeRawBufferPointer(start: mapped, count: length)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<min(length, 10 + headerLength)], as: UTF8.self)
        let shape = header.range(of: "'shape': (").flatMap { open in
            header[open.upperBound...].firstIndex(of: ")").map { header[open.upperBound..<$0] }
        }?.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? []
        let start = 10 + headerLength
        guard bytes.starts(with: [0x93] + Array("NUMPY".utf8)), header.contains("'<f4'"),
            !header.contains("'fortran_order': True"), shape.count == 2, start % 4 == 0,
            start + shape[0] * shape[1] * 4 <= length
        else {
            munmap(mapped, length)
            throw OutputError.cannotRead(file: path, problem: "not a C-ordered N×D float32 NumPy array")
        }
        (rows, columns) = (shape[0], shape[1])
        values = UnsafeBufferPointer(start: (mapped + start).assumingMemoryBound(to: Float.self), count: rows * columns)
    }

    deinit { munmap(base, length) }
}
