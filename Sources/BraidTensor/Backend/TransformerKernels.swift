// Inference-only kernels for transformer encoders beyond the tensor ops: attention over packed
// variable-length sequences and a fused residual + layer norm. They work on raw buffers in place and
// record nothing for autodiff.

import CTensorKernels

public enum TransformerKernels {
    /// Multi-head self-attention, `softmax(q·kᵀ/√D)·v` per head, for sequences packed one after
    /// another, each attending only to its own tokens, and with `causal` only to those up to its own position.
    ///
    /// Heads are read in place from the fused projection (row `[q | k | v]`, head h at columns
    /// `h·D ..< (h+1)·D` of each third) and written in place into `output`, so no split or merge of
    /// heads is ever copied.
    /// - Parameters:
    ///   - queryKeyValue: `(N, 3E)`.
    ///   - lengths: T of each sequence, summing to N.
    ///   - output: `(N, E)`, fully overwritten.
    public static func selfAttention(
        queryKeyValue: UnsafePointer<Float>, lengths: [Int], heads: Int, headSize: Int, causal: Bool = false,
        output: UnsafeMutablePointer<Float>
    ) {
        let width = heads * headSize
        let rowStride = 3 * width
        let scale = 1 / Float(headSize).squareRoot()
        var scores = [Float](repeating: 0, count: (lengths.max() ?? 0) * (lengths.max() ?? 0))
        scores.withUnsafeMutableBufferPointer { buffer in
            guard let scores = buffer.baseAddress else { return }
            var start = 0
            for length in lengths {
                for head in 0..<heads {
                    let query = queryKeyValue + start * rowStride + head * headSize
                    let key = query + width
                    let value = query + 2 * width
                    // (T, D) · (T, D)ᵀ -> (T, T), scaled by 1/√D
                    BLAS.gemm(
                        transposeA: false, transposeB: true, m: length, n: length, k: headSize, alpha: scale,
                        a: query, lda: rowStride, b: key, ldb: rowStride, c: scores, ldc: length)
                    for row in 0..<length {
                        let scoresOfRow = scores + row * length
                        // The masked scores get weight 0: the softmax runs over the visible ones only.
                        let visible = causal ? row + 1 : length
                        braid_softmax(scoresOfRow, scoresOfRow, visible)
                        scoresOfRow.advanced(by: visible).update(repeating: 0, count: length - visible)
                    }
                    // (T, T) · (T, D) -> (T, D), into this head's columns of the output rows
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: length, n: headSize, k: length, a: scores,
                        lda: length, b: value, ldb: rowStride, c: output + start * width + head * headSize, ldc: width)
                }
                start += length
            }
        }
    }

    /// Writes `exp(x - max)` of `count` values into `target` (which may be `source`) and returns the max and the
    /// sum of the exponentials: the shared first half of softmax and log-softmax.
    static func shiftedExponentials(
        _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int
    ) -> (peak: Float, total: Float) {
        var peak: Float = 0
        let total = braid_shifted_exponentials(source, target, count, &peak)
        return (peak, total)
    }

    /// `layerNorm(x + residual)` over each row, in place in `x`: BERT's post-norm residual step in
    /// one pass, without allocating the sum. Mean and variance as PyTorch takes them (biased variance).
    /// - Parameters:
    ///   - x: `(rows, width)`, overwritten with the result.
    ///   - residual: `(rows, width)`.
    ///   - weight, bias: `(width)`.
    public static func addLayerNormInPlace(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>, rows: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, width: Int, epsilon: Float
    ) {
        for row in 0..<rows {
            let values = x + row * width
            let added = residual + row * width
            for column in 0..<width { values[column] += added[column] }
            let mean = sum(values, count: width) / Float(width)
            for column in 0..<width { values[column] -= mean }
            let variance = sumOfSquares(values, count: width) / Float(width)
            let inverseDeviation = 1 / (variance + epsilon).squareRoot()
            for column in 0..<width {
                values[column] = values[column] * inverseDeviation * weight[column] + bias[column]
            }
        }
    }

    // Sums over 8 lanes at a time: a plain running sum stays scalar, since the compiler may not
    // reorder float additions.

    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0)
        let whole = count / 8 * 8
        for index in stride(from: 0, to: whole, by: 8) { lanes += load(values, index) }
        var total = lanes.sum()
        for index in whole..<count { total += values[index] }
        return total
    }

    static func sumOfSquares(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0)
        let whole = count / 8 * 8
        for index in stride(from: 0, to: whole, by: 8) {
            let chunk = load(values, index)
            lanes += chunk * chunk
        }
        var total = lanes.sum()
        for index in whole..<count { total += values[index] * values[index] }
        return total
    }

    @inline(__always)
    private static func load(_ values: UnsafePointer<Float>, _ index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
    }
}
