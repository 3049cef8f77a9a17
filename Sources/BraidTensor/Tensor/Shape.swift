/// Shape arithmetic shared by every op: element counts, row-major strides, broadcasting and axis
/// normalisation. Shapes are plain `[Int]`, outermost dimension first.
public enum Shape {
    /// The number of elements a tensor of `shape` holds (1 for a scalar, `[]`).
    public static func count(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Row-major strides, in elements, of a contiguous tensor of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The shape two operands broadcast to, NumPy rules (align right; a 1 stretches).
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        return (0..<rank).map { axis in
            let (x, y) = (paddedA[axis], paddedB[axis])
            precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
            return x == 1 ? y : x
        }
    }

    /// Turns a possibly negative axis (`-1` = last) into an index in `0..<rank`.
    public static func axis(_ axis: Int, rank: Int) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < max(rank, 1), "axis \(axis) out of range for rank \(rank)")
        return resolved
    }

    /// Splits `shape` around `axis` into (elements before, length of axis, elements after): the
    /// `(outer, n, inner)` view every single-axis kernel iterates over.
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (count(Array(shape[..<axis])), shape[axis], count(Array(shape[(axis + 1)...])))
    }
}
