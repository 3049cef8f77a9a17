import Foundation

/// A safetensors file (https://github.com/huggingface/safetensors, format section of its README):
/// an 8-byte little-endian header length, a JSON header mapping names to
/// `{dtype, shape, data_offsets}`, then the raw little-endian tensor bytes.
///
/// The file is memory-mapped. F32 tensors whose bytes are 4-aligned are handed out as views of
/// the mapping, with no copy; F16 and BF16 are widened to F32 on read. The mapping is private and
/// copy-on-write, so updating a loaded parameter never writes to the file.
public final class SafeTensorsFile: @unchecked Sendable {
    /// One header entry.
    public struct Entry: Sendable, Equatable {
        /// `F32`, `F16` or `BF16` (others are listed but refused on read).
        public let dtype: String
        public let shape: [Int]
        /// Byte range within the data section (after the header).
        let byteRange: Range<Int>
    }

    /// The file's path, as given; named in every error.
    public let path: String
    /// Every tensor in the header, by name.
    public let entries: [String: Entry]
    /// The free-form `__metadata__` strings.
    public let metadata: [String: String]
    private let mapping: MemoryMapping
    private let dataStart: Int

    /// Maps the file and parses its header; tensor bytes are read lazily by `tensor(_:)`.
    /// - Throws: `WeightError` naming the file when it cannot be mapped, is truncated, or its header is malformed.
    public convenience init(contentsOf url: URL) throws {
        try self.init(mapping: try MemoryMapping(path: url.path), path: url.path)
    }

    /// Parses a safetensors file held in memory (a model compiled into the binary), copying it once so that
    /// loaded tensors may be written like a mapping's.
    /// - Parameter path: What errors call it.
    public convenience init(bytes: UnsafeRawBufferPointer, path: String) throws {
        try self.init(mapping: MemoryMapping(copying: bytes), path: path)
    }

    private init(mapping: MemoryMapping, path: String) throws {
        self.path = path
        self.mapping = mapping
        let size = mapping.length
        guard size >= 8 else { throw WeightError.truncated(path: path, neededBytes: 8, fileBytes: size) }
        var headerLength = 0
        for byte in 0..<8 { headerLength |= Int(mapping.bytes[byte]) << (8 * byte) }
        guard headerLength >= 2, headerLength < 100_000_000 else {
            throw WeightError.badHeader(path: path, reason: "header length \(headerLength) is implausible")
        }
        guard 8 + headerLength <= size else {
            throw WeightError.truncated(path: path, neededBytes: 8 + headerLength, fileBytes: size)
        }
        dataStart = 8 + headerLength
        let headerBytes = Data(bytes: mapping.bytes + 8, count: headerLength)
        (entries, metadata) = try Self.parseHeader(headerBytes, path: path)
        let (needed, overflow) = dataStart.addingReportingOverflow(
            entries.values.map(\.byteRange.upperBound).max() ?? 0)
        guard !overflow else { throw WeightError.badHeader(path: path, reason: "data offsets beyond any file size") }
        guard needed <= size else { throw WeightError.truncated(path: path, neededBytes: needed, fileBytes: size) }
    }

    /// The tensor names, sorted.
    public var keys: [String] { entries.keys.sorted() }

    /// Reads tensor `key` as Float32.
    /// - Throws: `WeightError.missingKey` or `.unsupportedDType`, naming the file.
    public func tensor(_ key: String) throws -> Tensor {
        guard let entry = entries[key] else { throw WeightError.missingKey(path: path, key: key) }
        let count = Shape.count(entry.shape)
        let source = UnsafeMutableRawPointer(mapping.bytes) + dataStart + entry.byteRange.lowerBound
        switch entry.dtype {
        case "F32":
            if Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0 {
                let floats = source.assumingMemoryBound(to: Float.self)
                return Tensor(
                    storage: TensorStorage(borrowing: floats, count: count, owner: mapping), shape: entry.shape)
            }
            let result = Tensor.uninitialized(entry.shape)
            UnsafeMutableRawPointer(result.pointer).copyMemory(from: source, byteCount: count * 4)
            return result
        case "F16", "BF16":
            let result = Tensor.uninitialized(entry.shape)
            let widen = entry.dtype == "F16" ? Self.halfToFloat : Self.bfloat16ToFloat
            for index in 0..<count {
                let bits =
                    UInt16(source.load(fromByteOffset: 2 * index, as: UInt8.self))
                    | UInt16(source.load(fromByteOffset: 2 * index + 1, as: UInt8.self)) << 8
                result.pointer[index] = widen(bits)
            }
            return result
        default:
            throw WeightError.unsupportedDType(path: path, key: key, dtype: entry.dtype)
        }
    }

    /// Reads tensor `key` and checks its shape.
    /// - Throws: `WeightError.shapeMismatch` naming the file and key, besides `tensor(_:)`'s errors.
    public func tensor(_ key: String, shape: [Int]) throws -> Tensor {
        let result = try tensor(key)
        guard result.shape == shape else {
            throw WeightError.shapeMismatch(path: path, key: key, expected: shape, found: result.shape)
        }
        return result
    }

    /// Writes `tensors` as F32, names sorted, header padded to 8 bytes so every tensor is aligned.
    /// - Throws: `WeightError.unreadable` naming the file when it cannot be written.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        var offset = 0
        let sorted = tensors.sorted { $0.key < $1.key }
        for (name, tensor) in sorted {
            header[name] = [
                "dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count],
            ]
            offset += 4 * tensor.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8))
        var file = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerBytes)
        for (_, tensor) in sorted {
            tensor.withUnsafeBufferPointer { file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        }
        do {
            try file.write(to: url, options: .atomic)
        } catch {
            throw WeightError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    private static func parseHeader(_ bytes: Data, path: String) throws -> ([String: Entry], [String: String]) {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: bytes)
        } catch {
            throw WeightError.badHeader(path: path, reason: "not JSON")
        }
        guard let object = json as? [String: Any] else {
            throw WeightError.badHeader(path: path, reason: "not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int],
                offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], shape.allSatisfy({ $0 >= 0 })
            else {
                throw WeightError.badHeader(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            // The element count comes from the file: multiply without trapping on overflow.
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= Int(UInt32.max) * 16 else {
                    throw WeightError.badHeader(path: path, reason: "entry '\(name)' has an impossible shape \(shape)")
                }
                elements = product
            }
            let width = [
                "F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
            ][dtype]
            if let width, offsets[1] - offsets[0] != width * elements {
                throw WeightError.badHeader(
                    path: path,
                    reason: "entry '\(name)' spans \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtype)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
        }
        return (entries, metadata)
    }

    /// IEEE 754 half precision to single precision, subnormals and infinities included.
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Subnormal (or zero): mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }

    /// bfloat16 is the top half of a Float32.
    static func bfloat16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

/// A private, copy-on-write memory map of a whole file, unmapped when the last tensor borrowing it goes.
final class MemoryMapping: @unchecked Sendable {
    let bytes: UnsafeMutablePointer<UInt8>
    let length: Int
    private let isMapped: Bool

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw WeightError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw WeightError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        length = Int(status.st_size)
        guard length > 0 else {
            // mmap refuses empty files; an empty buffer reports the truncation instead.
            bytes = .allocate(capacity: 1)
            isMapped = false
            return
        }
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw WeightError.unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = address.assumingMemoryBound(to: UInt8.self)
        isMapped = true
    }

    /// A private copy of `source`, for files that are not on disk.
    init(copying source: UnsafeRawBufferPointer) {
        length = source.count
        bytes = .allocate(capacity: max(1, length))
        if let base = source.baseAddress { UnsafeMutableRawPointer(bytes).copyMemory(from: base, byteCount: length) }
        isMapped = false
    }

    deinit {
        if isMapped { munmap(bytes, length) } else { bytes.deallocate() }
    }
}
