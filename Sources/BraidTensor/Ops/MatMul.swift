/// Matrix products on BLAS: plain, batched (a strided loop of sgemm calls) and the fused linear
/// layer `x · Wᵀ + b`. Transposes are BLAS flags, never copies.

extension Tensor {
    /// The matrix product over the last two axes, with optional transposes.
    ///
    /// `a` is `(…, M, K)` (or `(…, K, M)` with `transposeA`), `b` is `(…, K, N)` (or `(…, N, K)`).
    /// The leading (batch) axes must be equal, or `b` may be 2-D and shared by every batch.
    /// Result: `(…, M, N)`, times `alpha` (a scale folded into the GEMM, as attention's 1/√D).
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
    ) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let batchShape = Array(a.shape.dropLast(2))
        let sharedB = b.rank == 2
        precondition(
            sharedB || Array(b.shape.dropLast(2)) == batchShape, "matmul batch axes differ: \(a.shape) vs \(b.shape)")
        let (aRows, aColumns) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (bRows, bColumns) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (aColumns, aRows) : (aRows, aColumns)
        let (kB, n) = transposeB ? (bColumns, bRows) : (bRows, bColumns)
        precondition(k == kB, "matmul inner dimensions differ: \(a.shape) vs \(b.shape)")
        let batches = Shape.count(batchShape)
        let output = Tensor.uninitialized(batchShape + [m, n])
        if sharedB && !transposeA {
            // Every batch shares B: fold the batch into M for one large GEMM.
            BLAS.gemm(
                transposeA: false, transposeB: transposeB, m: batches * m, n: n, k: k, alpha: alpha,
                a: a.pointer, lda: aColumns, b: b.pointer, ldb: bColumns, c: output.pointer, ldc: n)
        } else {
            for batch in 0..<batches {
                BLAS.gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a.pointer + batch * aRows * aColumns, lda: aColumns,
                    b: b.pointer + (sharedB ? 0 : batch * bRows * bColumns), ldb: bColumns,
                    c: output.pointer + batch * m * n, ldc: n)
            }
        }
        return record(output, inputs: [a, b]) { gradient, _ in
            // C = op(A)·op(B): dop(A) = G·op(B)ᵀ, dop(B) = op(A)ᵀ·G, transposed back where stored so.
            let gradientA: Tensor? =
                !a.requiresGrad
                ? nil
                : !transposeA
                    ? matmul(gradient, b, transposeB: !transposeB, alpha: alpha)
                    : sharedB
                        ? matmul(gradient, b, transposeB: !transposeB, alpha: alpha).transposed()
                        : matmul(b, gradient, transposeA: transposeB, transposeB: true, alpha: alpha)
            var gradientB: Tensor? = nil
            if b.requiresGrad {
                if sharedB && !transposeA {
                    let foldedA = a.reshapedView([batches * m, k])
                    let foldedG = gradient.reshapedView([batches * m, n])
                    gradientB =
                        transposeB
                        ? matmul(foldedG, foldedA, transposeA: true, alpha: alpha)
                        : matmul(foldedA, foldedG, transposeA: true, alpha: alpha)
                } else {
                    let perBatch =
                        transposeB
                        ? matmul(gradient, a, transposeA: true, transposeB: transposeA, alpha: alpha)
                        : matmul(a, gradient, transposeA: !transposeA, alpha: alpha)
                    gradientB = sharedB ? perBatch.reshapedView([batches, bRows, bColumns]).sum(axes: [0]) : perBatch
                }
            }
            return [gradientA, gradientB]
        }
    }

    /// `x · weightᵀ + bias`, then an optional activation, over the last axis of `x`: the linear layer.
    ///
    /// The bias is written into the output before one GEMM accumulates onto it (beta = 1), and when
    /// nothing records, the activation runs in place on the GEMM output.
    /// - Parameters:
    ///   - x: `(…, inFeatures)`.
    ///   - weight: `(outFeatures, inFeatures)`, PyTorch's layout.
    ///   - bias: `(outFeatures)`, or `nil`.
    ///   - activation: Applied elementwise to the result.
    /// - Returns: `(…, outFeatures)`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: UnaryOp? = nil) -> Tensor {
        let inFeatures = x.shape[x.rank - 1]
        let outFeatures = weight.shape[0]
        precondition(
            weight.shape == [outFeatures, inFeatures], "linear weight \(weight.shape) does not take \(x.shape)")
        precondition(
            bias.map { $0.shape == [outFeatures] } ?? true,
            "linear bias shape \(bias?.shape ?? []) for \(outFeatures) outputs")
        let rows = x.count / Swift.max(inFeatures, 1)
        let output = Tensor.uninitialized(Array(x.shape.dropLast()) + [outFeatures])
        if let bias {
            for row in 0..<rows { (output.pointer + row * outFeatures).update(from: bias.pointer, count: outFeatures) }
        }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
            a: x.pointer, lda: inFeatures, b: weight.pointer, ldb: inFeatures,
            beta: bias == nil ? 0 : 1, c: output.pointer, ldc: outFeatures)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let recorded = record(output, inputs: inputs) { gradient, _ in
            let foldedG = gradient.reshapedView([rows, outFeatures])
            return [
                x.requiresGrad ? matmul(foldedG, weight).reshapedView(x.shape) : nil,
                weight.requiresGrad ? matmul(foldedG, x.reshapedView([rows, inFeatures]), transposeA: true) : nil,
                bias?.requiresGrad == true ? foldedG.sum(axes: [0]) : nil,
            ]
        }
        return recorded.applyingInPlaceIfUnrecorded(activation)
    }
}
