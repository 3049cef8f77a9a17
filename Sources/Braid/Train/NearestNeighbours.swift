import BraidTensor

/// Brute-force k-nearest-neighbour classification by Euclidean distance, the distances from GEMMs: a plain baseline
/// of how well an encoder's vectors keep classes apart.
struct NearestNeighbours {
    /// N × D, row-major.
    let vectors: [Float]
    /// N labels, for ``accuracy(of:labels:k:)``.
    var labels: [String] = []
    let width: Int

    /// The share of `queries` (Q × D) whose k nearest vectors mostly carry their label; a tied vote goes to the
    /// label of the nearest neighbour among the tied.
    func accuracy(of queries: [Float], labels expected: [String], k: Int) -> Double {
        var correct = 0
        forEachQuery(queries) { query, distances in
            var nearest: [(distance: Float, index: Int)] = []
            for (column, distance) in distances.enumerated()
            where nearest.count < k || distance < nearest[nearest.count - 1].distance {
                nearest.append((distance, column))
                nearest.sort { $0.distance < $1.distance }
                if nearest.count > k { nearest.removeLast() }
            }
            var votes: [String: Int] = [:]
            for neighbour in nearest { votes[labels[neighbour.index], default: 0] += 1 }
            let most = votes.values.max() ?? 0
            let winner = nearest.first { votes[labels[$0.index]] == most }.map { labels[$0.index] }
            if winner == expected[query] { correct += 1 }
        }
        return expected.isEmpty ? 0 : Double(correct) / Double(expected.count)
    }

    /// Each query's Euclidean distance to its nearest vector: how close a generated image comes to a training one.
    func nearestDistances(of queries: [Float]) -> [Float] {
        var nearest: [Float] = []
        forEachQuery(queries) { query, distances in
            let squaredNorm = (0..<width).reduce(Float(0)) { sum, column in
                sum + queries[query * width + column] * queries[query * width + column]
            }
            nearest.append(max(0, (distances.min() ?? 0) + squaredNorm).squareRoot())
        }
        return nearest
    }

    /// Hands each query (row of Q × D) with ‖q − v‖² − ‖q‖² for every vector v, in order: the query's own norm does
    /// not change a ranking, so the GEMM gives the rest, a block of queries at a time.
    private func forEachQuery(_ queries: [Float], _ body: (Int, ArraySlice<Float>) -> Void) {
        let count = vectors.count / width
        let index = Tensor(vectors, shape: [count, width])
        let norms = (index * index).sum(axes: [1]).scalars
        let chunk = 256
        let total = queries.count / width
        for start in stride(from: 0, to: total, by: chunk) {
            let rows = min(chunk, total - start)
            let query = Tensor(Array(queries[start * width..<(start + rows) * width]), shape: [rows, width])
            var products = Tensor.matmul(query, index, transposeB: true, alpha: -2).scalars  // (rows, N)
            for row in 0..<rows {
                for column in 0..<count { products[row * count + column] += norms[column] }
                body(start + row, products[(row * count)..<((row + 1) * count)])
            }
        }
    }
}
