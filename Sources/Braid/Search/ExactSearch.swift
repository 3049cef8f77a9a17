import BraidTensor
import Foundation

/// Exact cosine search: every stored vector scored against every query, a block of rows at a time with one GEMM
/// per block (`queries · blockᵀ`), keeping each query's best `top` rows. Memory is one block, its scores and the
/// results, whatever the size of the index.
public struct ExactSearch {
    /// One result: a stored row and its cosine with the query.
    public struct Match: Sendable {
        public let id: String
        public let score: Float
        /// The row's stored JSON, from which the output takes `source` and `meta`.
        public let details: String
    }

    public let top: Int
    public let blockRows: Int

    public init(top: Int, blockRows: Int = 16_384) {
        self.top = top
        self.blockRows = blockRows
    }

    /// Each query's best matches, best first.
    ///
    /// - Parameter queries: Vectors of the stored vectors' length; they need not be normalised.
    public func search(_ queries: [[Float]], in vectors: StoredVectors) throws(OutputError) -> [[Match]] {
        guard let dimension = queries.first?.count, top > 0 else { return queries.map { _ in [] } }
        // (queries, dimension), each row scaled to unit length.
        let queryMatrix = queries.flatMap { query in
            let length = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return length > 0 ? query.map { $0 / length } : query
        }
        var best = [[(score: Float, row: StoredVectors.RowReference)]](repeating: [], count: queries.count)
        var scores = [Float](repeating: 0, count: queries.count * blockRows)
        var inverseNorms = [Float](repeating: 0, count: blockRows)
        try vectors.forEachBlock(blockRows: blockRows) { block throws(OutputError) in
            guard block.vectors.count == block.count * dimension else {
                throw OutputError.cannotRead(
                    file: vectors.path,
                    problem: "its vectors have \(block.vectors.count / max(block.count, 1)) values, the query \(dimension)")
            }
            let stored = block.vectors.baseAddress!
            // Cosine = dot / |row|: the rows are scaled after the product, never rewritten (a mapped shard is
            // read-only).
            for row in 0..<block.count {
                var sum: Float = 0
                for value in UnsafeBufferPointer(start: stored + row * dimension, count: dimension) { sum += value * value }
                inverseNorms[row] = sum > 0 ? 1 / sum.squareRoot() : 0
            }
            // (queries, dimension) · (rows, dimension)ᵀ -> (queries, rows): a query's scores are contiguous.
            queryMatrix.withUnsafeBufferPointer { queryMatrix in
                scores.withUnsafeMutableBufferPointer { scores in
                    BLAS.gemm(
                        transposeA: false, transposeB: true, m: queries.count, n: block.count, k: dimension,
                        a: queryMatrix.baseAddress!, lda: dimension, b: stored, ldb: dimension,
                        c: scores.baseAddress!, ldc: block.count)
                }
            }
            for query in queries.indices {
                var threshold = best[query].count < top ? -Float.infinity : best[query][top - 1].score
                let offset = query * block.count
                for row in 0..<block.count {
                    let score = scores[offset + row] * inverseNorms[row]
                    guard score > threshold else { continue }
                    let place = best[query].firstIndex { $0.score < score } ?? best[query].count
                    best[query].insert((score, block.reference(row)), at: place)
                    if best[query].count > top { best[query].removeLast() }
                    if best[query].count == top { threshold = best[query][top - 1].score }
                }
            }
        }
        let rows = try vectors.rows(best.flatMap { $0.map(\.row) })
        var next = 0
        return best.map { matches in
            matches.map { match in
                defer { next += 1 }
                return Match(id: rows[next].id, score: match.score, details: rows[next].details)
            }
        }
    }
}

extension StoredVectors.Block {
    /// Row `row` of the block, to be looked up once the search is done.
    func reference(_ row: Int) -> StoredVectors.RowReference {
        switch rows {
        case .inline(let rows): .inline(rows[row])
        case .shard(let index, let firstRow): .shard(index: index, row: firstRow + row)
        }
    }
}
