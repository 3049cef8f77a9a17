/// Vector arithmetic shared by the built-in encoders.
enum FeatureVector {
    /// The Euclidean length, accumulated in `Double` so long vectors lose no precision.
    static func length(_ vector: [Float]) -> Double {
        vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Scales `vector` to unit length; an all-zero vector (nothing measured) stays all zeros.
    static func normalize(_ vector: inout [Float]) {
        let norm = length(vector)
        guard norm > 0 else { return }
        let scale = Float(1 / norm)
        for index in vector.indices { vector[index] *= scale }
    }

    /// Appends `block` rescaled to length `weight`, so each block's share of the final vector is set by its weight
    /// rather than by its raw scale; an all-zero block is appended as zeros.
    static func append(_ block: [Float], weight: Float, to vector: inout [Float]) {
        let norm = length(block)
        let scale = norm > 0 ? weight / Float(norm) : 0
        vector.append(contentsOf: block.lazy.map { $0 * scale })
    }
}

/// 64-bit FNV-1a, the Fowler–Noll–Vo hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3; see
/// http://www.isthe.com/chongo/tech/comp/fnv/). Unlike Swift's `Hasher` it is not seeded per process, so
/// hashed features land in the same buckets in every run and on every machine.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// Feeds the scalar's UTF-8 bytes.
    mutating func combine(_ scalar: Unicode.Scalar) {
        for byte in scalar.utf8 { combine(byte) }
    }
}
