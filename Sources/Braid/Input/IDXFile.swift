import CZlib
import Foundation

/// A file in the IDX format of the MNIST distribution (http://yann.lecun.com/exdb/mnist/, "the IDX file format"),
/// gzip-compressed or not: zlib's `gzread` reads both.
///
/// Layout: two zero bytes, a type byte (0x08 unsigned byte is the one MNIST uses and the one read here), the number
/// of dimensions, each dimension as a big-endian 32-bit integer, then the values in row-major order. The first
/// dimension counts records; each `next()` returns one record's values, so a file of any length is read in constant
/// memory.
final class IDXFile {
    /// The path errors name.
    let path: String
    /// Every dimension, the record count first.
    let dimensions: [Int]
    private let file: gzFile
    private var recordsRead = 0

    /// The largest record Braid reads (a 4096×4096 image), so a lying header cannot ask for gigabytes.
    static let maximumRecordBytes = 1 << 24

    /// Opens `path` and reads its header.
    /// - Throws: `InputError` naming the file when it cannot be opened, or its header is not IDX of unsigned bytes.
    init(path: String) throws(InputError) {
        self.path = path
        guard let file = gzopen(path, "rb") else {
            throw InputError(file: path, problem: "cannot open: \(errnoDescription())")
        }
        self.file = file
        var magic = [UInt8](repeating: 0, count: 4)
        var dimensions: [Int] = []
        do throws(InputError) {
            try Self.read(file, into: &magic, path: path, what: "the IDX header")
            guard magic[0] == 0, magic[1] == 0, magic[3] >= 1 else {
                throw InputError(file: path, problem: "not an IDX file: it does not start with 00 00 TYPE DIMENSIONS")
            }
            guard magic[2] == 0x08 else {
                throw InputError(
                    file: path,
                    problem:
                        "unsupported IDX value type 0x\(String(magic[2], radix: 16)); Braid reads 0x08 (unsigned bytes)"
                )
            }
            var sizes = [UInt8](repeating: 0, count: 4 * Int(magic[3]))
            try Self.read(file, into: &sizes, path: path, what: "the IDX dimensions")
            dimensions = stride(from: 0, to: sizes.count, by: 4).map { start in
                sizes[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
            }
        } catch {
            gzclose(file)
            throw error
        }
        let recordBytes = dimensions.dropFirst().reduce(1) { $0 * $1 }
        guard recordBytes <= Self.maximumRecordBytes else {
            gzclose(file)
            throw InputError(
                file: path, problem: "IDX records of \(dimensions.dropFirst()) values are larger than Braid reads")
        }
        self.dimensions = dimensions
    }

    deinit { gzclose(file) }

    /// Whether `path` is a regular file that starts (once gunzipped) like an IDX file of unsigned bytes.
    static func isIDX(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let file = gzopen(path, "rb")
        else { return false }
        defer { gzclose(file) }
        var magic = [UInt8](repeating: 0xFF, count: 4)
        let read = magic.withUnsafeMutableBytes { gzread(file, $0.baseAddress, 4) }
        return read == 4 && magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && magic[3] >= 1
    }

    /// The number of records the header announces.
    var recordCount: Int { dimensions[0] }

    /// The shape of one record (empty for a file of scalars, such as labels).
    var recordShape: [Int] { Array(dimensions.dropFirst()) }

    /// The next record's values, or nil after the last one.
    /// - Throws: `InputError` when the file ends before the header's count of records, or cannot be read.
    func next() throws(InputError) -> [UInt8]? {
        guard recordsRead < recordCount else { return nil }
        var record = [UInt8](repeating: 0, count: recordShape.reduce(1, *))
        try Self.read(file, into: &record, path: path, what: "record \(recordsRead) of \(recordCount)")
        recordsRead += 1
        return record
    }

    private static func read(_ file: gzFile, into buffer: inout [UInt8], path: String, what: String)
        throws(InputError)
    {
        let count = buffer.count
        let read = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(count)) }
        if read < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
            throw InputError(file: path, problem: "cannot read \(what): \(message)")
        }
        guard Int(read) == count else {
            throw InputError(file: path, problem: "truncated: the file ends inside \(what)")
        }
    }
}
