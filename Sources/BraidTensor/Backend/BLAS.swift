#if canImport(Accelerate)
    import Accelerate
#else
    import CBLAS
#endif

/// The only place BraidTensor calls BLAS. Everything GEMM-shaped (matmul, linear, im2col
/// convolutions, attention) funnels through `gemm`.
enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major, where op(X) is X or its transpose.
    /// - Parameters:
    ///   - m: Rows of op(A) and C.
    ///   - n: Columns of op(B) and C.
    ///   - k: Columns of op(A), rows of op(B).
    ///   - lda: Row stride of A as stored (`k` untransposed, `m` transposed), likewise `ldb`, `ldc`.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C = beta · C, which BLAS may skip entirely.
            for row in 0..<m { for column in 0..<n { c[row * ldc + column] *= beta } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// The process-wide cap on BLAS compute threads, so the pipeline can keep cores for decoding.
public enum ThreadBudget {
    /// Sets how many threads BLAS may use for one call (OpenBLAS; a no-op where BLAS has no such
    /// control, as with Accelerate).
    public static func setComputeThreads(_ count: Int) {
        precondition(count >= 1, "compute threads must be at least 1, got \(count)")
        #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(count))
        #endif
    }

    /// The number of threads BLAS currently uses.
    public static var computeThreads: Int {
        #if canImport(Accelerate)
            return 1
        #else
            return Int(openblas_get_num_threads())
        #endif
    }
}
