/// An array in NumPy's `.npy` format (version 1.0), which `numpy.load` reads directly.
public struct NumPyArray: Sendable, Equatable {
    /// The element types Braid writes, with NumPy's `descr` codes.
    public enum Element: String, Sendable {
        case uint8 = "|u1"
        case uint16 = "<u2"
        case float32 = "<f4"

        var size: Int {
            switch self {
            case .uint8: 1
            case .uint16: 2
            case .float32: 4
            }
        }
    }

    public let element: Element
    public let shape: [Int]
    /// Little-endian element bytes in C (row-major) order.
    public let data: [UInt8]

    public init(uint8 values: [UInt8], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "shape does not match the element count")
        element = .uint8
        self.shape = shape
        data = values
    }

    public init(float32 values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "shape does not match the element count")
        element = .float32
        self.shape = shape
        data = values.withUnsafeBytes { Array($0) }
    }

    /// The file's bytes: magic, header padded so the data starts on a 64-byte boundary, then the data.
    public func encoded() -> [UInt8] {
        Self.header(element, shape: shape) + data
    }

    /// Magic and header, padded with spaces to a multiple of 64 bytes and at least `length`: a file written
    /// before its row count is known reserves 128 bytes, which any shape of two dimensions fits in.
    static func header(_ element: Element, shape: [Int], length: Int = 0) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let preamble = 10
        let unpadded = preamble + header.utf8.count + 1
        let total = max(length, (unpadded + 63) / 64 * 64)
        header += String(repeating: " ", count: total - unpadded) + "\n"
        let headerLength = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
            + Array(header.utf8)
    }
}
