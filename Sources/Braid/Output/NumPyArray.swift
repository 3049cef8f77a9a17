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
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let preamble = 10
        let padding = (64 - (preamble + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        let length = header.utf8.count
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes += data
        return bytes
    }
}
