/// Walks an output shape and two operands broadcast to it, one innermost run at a time.
///
/// Adjacent dimensions that every operand lays out contiguously are merged first, so a same-shape
/// or bias-shaped operation becomes a handful of long runs rather than many short ones.
struct BroadcastPlan {
    /// Merged output dimensions; the last is the run length.
    private(set) var shape: [Int]
    /// Element strides of each operand over the merged dimensions (0 where it is broadcast).
    private(set) var stridesA: [Int]
    private(set) var stridesB: [Int]

    /// - Parameters:
    ///   - output: The broadcast shape.
    ///   - a: The first operand's shape, broadcastable to `output`.
    ///   - b: The second operand's shape, broadcastable to `output`.
    init(output: [Int], a: [Int], b: [Int]) {
        func broadcastStrides(_ operand: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: output.count - operand.count) + operand
            let strides = Shape.strides(padded)
            return (0..<output.count).map { padded[$0] == 1 && output[$0] != 1 ? 0 : strides[$0] }
        }
        var shape: [Int] = []
        var stridesA: [Int] = []
        var stridesB: [Int] = []
        let (fullA, fullB) = (broadcastStrides(a), broadcastStrides(b))
        for axis in 0..<output.count where output[axis] != 1 {
            if let last = shape.last, stridesA.last == fullA[axis] * output[axis],
                stridesB.last == fullB[axis] * output[axis]
            {
                shape[shape.count - 1] = last * output[axis]
                stridesA[stridesA.count - 1] = fullA[axis]
                stridesB[stridesB.count - 1] = fullB[axis]
            } else {
                shape.append(output[axis])
                stridesA.append(fullA[axis])
                stridesB.append(fullB[axis])
            }
        }
        if shape.isEmpty { (shape, stridesA, stridesB) = ([1], [0], [0]) }
        self.shape = shape
        self.stridesA = stridesA
        self.stridesB = stridesB
    }

    var runLength: Int { shape[shape.count - 1] }
    var stepA: Int { stridesA[stridesA.count - 1] }
    var stepB: Int { stridesB[stridesB.count - 1] }

    /// Calls `body(outputStart, aStart, bStart)` for each innermost run, in output order.
    func forEachRun(_ body: (Int, Int, Int) -> Void) {
        let outer = shape.dropLast()
        let runs = Shape.count(Array(outer))
        var counters = [Int](repeating: 0, count: outer.count)
        var (offsetA, offsetB) = (0, 0)
        for run in 0..<runs {
            body(run * runLength, offsetA, offsetB)
            // Odometer increment over the outer dimensions.
            var axis = outer.count - 1
            while axis >= 0 {
                counters[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if counters[axis] < shape[axis] { break }
                offsetA -= stridesA[axis] * shape[axis]
                offsetB -= stridesB[axis] * shape[axis]
                counters[axis] = 0
                axis -= 1
            }
        }
    }
}
