import BraidTensor
import Foundation

/// Exact cosine search: every stored vector scored against every query, a block of rows at a time with one GEMM
/// per block (`block · queriesᵀ`), keeping each query's best `top` rows. Memory is one block and the results,
/// whatever the size of the index.
public struct ExactSearch {
    /// One result: a stored row and its cosine with the query.
    public struct Match: Sendable {
        public let id: String
        public let score: Float
        /// The row's stored JSON (its metadata), from which the output takes `source` and `meta`.
        public let details: String
    }

    public let top: Int
    public let blockRows: Int

    public init(top: Int, blockRows: Int = 4096) {
        self.top = top
        self.blockRows = blockRows
    }

    /// Each query's best matches, best first.
    ///
    /// - Parameter queries: Vectors of the stored vectors' length; they need not be normalised.
    public func search(_ queries: [[Float]], in vectors: StoredVectors) throws(OutputError) -> [[Match]] {
        guard let dimension = queries.first?.count, top > 0 else { return queries.map { _ in [] } }
        // (queries, dimension), each row scaled to unit length.
        let queryMatrix = Tensor(queries.flatMap(Self.normalized), shape: [queries.count, dimension])
        var best = [[Match]](repeating: [], count: queries.count)
        try vectors.forEachBlock(blockRows: blockRows) { block throws(OutputError) in
            guard block.vectors.count == block.count * dimension else {
                throw OutputError.cannotRead(
                    file: "\(vectors.layout)",
                    problem: "its vectors have \(block.vectors.count / max(block.count, 1)) values, the query \(dimension)")
            }
            var rows = block.vectors
            for row in 0..<block.count { Self.normalize(&rows[row * dimension..<(row + 1) * dimension]) }
            // (rows, dimension) · (queries, dimension)ᵀ -> (rows, queries)
            let scores = Tensor.matmul(
                Tensor(rows, shape: [block.count, dimension]), queryMatrix, transposeB: true
            ).scalars
            for query in queries.indices {
                for row in 0..<block.count {
                    let score = scores[row * queries.count + query]
                    guard best[query].count < top || score > best[query][best[query].count - 1].score else { continue }
                    let match = Match(id: block.ids[row], score: score, details: block.details[row])
                    let place = best[query].firstIndex { $0.score < score } ?? best[query].count
                    best[query].insert(match, at: place)
                    if best[query].count > top { best[query].removeLast() }
                }
            }
        }
        return best
    }

    private static func normalized(_ vector: [Float]) -> [Float] {
        var vector = vector
        normalize(&vector[...])
        return vector
    }

    /// Scales to unit length; a zero vector stays zero (and scores 0 against everything).
    private static func normalize(_ vector: inout ArraySlice<Float>) {
        let length = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard length > 0 else { return }
        for index in vector.indices { vector[index] /= length }
    }
}
