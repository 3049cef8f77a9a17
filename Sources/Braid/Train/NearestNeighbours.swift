import BraidTensor

/// Brute-force k-nearest-neighbour classification by Euclidean distance, the distances from GEMMs: a plain baseline
/// of how well an encoder's vectors keep classes apart.
struct NearestNeighbours {
    /// N × D, row-major.
    let vectors: [Float]
    let labels: [String]
    let width: Int

    /// The share of `queries` (Q × D) whose k nearest vectors mostly carry their label; a tied vote goes to the
    /// label of the nearest neighbour among the tied.
    func accuracy(of queries: [Float], labels expected: [String], k: Int) -> Double {
        let count = labels.count
        let index = Tensor(vectors, shape: [count, width])
        let norms = (index * index).sum(axes: [1]).scalars
        var correct = 0
        let chunk = 256
        for start in stride(from: 0, to: expected.count, by: chunk) {
            let rows = min(chunk, expected.count - start)
            let query = Tensor(Array(queries[start * width..<(start + rows) * width]), shape: [rows, width])
            // ‖q − v‖² − ‖q‖² = ‖v‖² − 2 q·v: the query's own norm does not change its ranking.
            let products = Tensor.matmul(query, index, transposeB: true, alpha: -2).scalars  // (rows, N)
            for row in 0..<rows {
                var nearest: [(distance: Float, index: Int)] = []
                for column in 0..<count {
                    let distance = products[row * count + column] + norms[column]
                    if nearest.count < k || distance < nearest[nearest.count - 1].distance {
                        nearest.append((distance, column))
                        nearest.sort { $0.distance < $1.distance }
                        if nearest.count > k { nearest.removeLast() }
                    }
                }
                var votes: [String: Int] = [:]
                for neighbour in nearest { votes[labels[neighbour.index], default: 0] += 1 }
                let most = votes.values.max() ?? 0
                let winner = nearest.first { votes[labels[$0.index]] == most }.map { labels[$0.index] }
                if winner == expected[start + row] { correct += 1 }
            }
        }
        return expected.isEmpty ? 0 : Double(correct) / Double(expected.count)
    }
}
