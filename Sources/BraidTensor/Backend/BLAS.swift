import Synchronization

#if canImport(Accelerate)
    import Accelerate
#else
    import CBLAS
    import CDNNL
#endif

/// The only place BraidTensor calls a GEMM. Everything GEMM-shaped (matmul, linear, im2col convolutions, the
/// transformer's projections) funnels through `gemm`, and so do callers whose matrices are not tensors (vectors
/// mapped from a file, searched a block at a time).
///
/// On Linux, large products go to oneDNN's `dnnl_sgemm` and small ones to OpenBLAS's `cblas_sgemm`. Measured on the
/// reference machine (AVX-512, one thread, C = A·Bᵀ): oneDNN runs the transformer's projections (1024 × 384 ×
/// 384 to 1024 × 1536 × 384) 3-17% faster than OpenBLAS 0.3.21, and 2048³ 8% faster; OpenBLAS's fixed cost per
/// call is lower, so it wins below about 4 million multiply-adds (66 × 66 × 32, one attention head of a
/// sentence: 1.18×; 16 × 16 × 32: 2.1×). Without AVX-512 the order turns for a single thread: capped at AVX2
/// (`DNNL_MAX_CPU_ISA=AVX2`, `OPENBLAS_CORETYPE=Haswell`), CLIP ViT-B/32's 512 photos in two one-thread jobs took
/// 32.4 s with oneDNN's AVX2 kernels and 29.3 s with OpenBLAS's alone. So there a product goes to oneDNN only when
/// the budget gives it several threads, which OpenBLAS (kept at one, see ``ThreadBudget``) cannot use.
///
/// Debian's OpenBLAS (0.3.21) picks its kernels by the CPU's model, and falls back to its SSE3 ones ("Prescott")
/// for a model newer than itself, such as the Intel Xeon (family 6, model 207) of the benchmarks' second machine.
/// There oneDNN, which picks its kernels by the CPU's features, ran products of 128 × 32 × 128 to 1024 × 384 × 384
/// 4-6× faster on one thread (66 × 66 × 32: 3.6×; 16 × 16 × 32, 8,192 multiply-adds: 0.6×), so every product but
/// the smallest goes to it. On macOS every product goes to Accelerate.
public enum BLAS {
    /// Products with at least this many multiply-adds (m·n·k) go to oneDNN on Linux, where it wins at one thread
    /// (``dnnlWinsAtOneThread``) or the budget gives a GEMM several.
    static let smallestForDNNL = openBLASKnowsThisCPU ? smallestForSeveralThreads : 1 << 15

    /// Products below this many multiply-adds run on one thread whatever the budget: waking a second costs more
    /// than it saves (OpenBLAS's share, when it knows the CPU). Sent to oneDNN's two-thread team instead, the
    /// autoencoder's 128 × 32 × 128 products made its epoch 1.21–1.34 s against 0.90–0.93 s on one thread.
    static let smallestForSeveralThreads = 1 << 22

    /// Whether OpenBLAS runs kernels made for this CPU's vector width, rather than its generic fallback.
    static let openBLASKnowsThisCPU: Bool = {
        #if canImport(Accelerate)
            return true
        #else
            let avx2 = dnnl_cpu_isa_avx2.rawValue
            guard dnnl_get_effective_cpu_isa().rawValue & avx2 == avx2 else { return true }
            // OpenBLAS's kernel families with AVX2 (and, from SkylakeX on, AVX-512).
            let core = String(cString: openblas_get_corename()).lowercased()
            return ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"].contains(core)
        #endif
    }()

    /// Whether oneDNN's kernels beat OpenBLAS's at one thread on this CPU: only with AVX-512.
    static let dnnlWinsAtOneThread: Bool = {
        #if canImport(Accelerate)
            return false
        #else
            let avx512 = dnnl_cpu_isa_avx512_core.rawValue
            return dnnl_get_effective_cpu_isa().rawValue & avx512 == avx512
        #endif
    }()

    /// C = alpha · op(A) · op(B) + beta · C, row-major, where op(X) is X or its transpose.
    /// - Parameters:
    ///   - m: Rows of op(A) and C.
    ///   - n: Columns of op(B) and C.
    ///   - k: Columns of op(A), rows of op(B).
    ///   - lda: Row stride of A as stored (`k` untransposed, `m` transposed), likewise `ldb`, `ldc`.
    public static func gemm(
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
        #if !canImport(Accelerate)
            if m * n * k >= smallestForDNNL
                && (dnnlWinsAtOneThread || !openBLASKnowsThisCPU || ThreadBudget.computeThreads > 1)
            {
                ThreadBudget.applyToCallingThread(atMost: m * n * k < smallestForSeveralThreads ? 1 : .max)
                let status = dnnl_sgemm(
                    transposeA ? transposed : plain, transposeB ? transposed : plain, Int64(m), Int64(n), Int64(k),
                    alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
                // Only invalid arguments fail, and every caller checks its shapes first.
                precondition(
                    status == dnnl_success, "dnnl_sgemm failed (status \(status.rawValue)) for \(m)×\(n)×\(k)")
                return
            }
        #endif
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    #if !canImport(Accelerate)
        private static let plain = CChar(UInt8(ascii: "N"))
        private static let transposed = CChar(UInt8(ascii: "T"))
    #endif
}

/// The process-wide cap on BLAS compute threads, so the pipeline can keep cores for decoding.
public enum ThreadBudget {
    /// Until set, what OpenBLAS chose at start-up: OPENBLAS_NUM_THREADS, or one per core.
    #if canImport(Accelerate)
        private static let threads = Atomic<Int>(1)
    #else
        private static let threads = Atomic<Int>(Int(openblas_get_num_threads()))
    #endif

    /// Sets how many threads one GEMM may use (oneDNN's OpenMP team; a no-op with Accelerate).
    ///
    /// OpenBLAS keeps one thread: it only gets the products below ``BLAS/smallestForDNNL``, where a second thread
    /// gains little, or every product when the budget is one thread and oneDNN lacks AVX-512; and its idle workers
    /// spin in `sched_yield` for a long while after each call, taking the cores the OpenMP team of the next oneDNN
    /// call or elementwise loop is waiting for (on 2 cores, an autoencoder's epoch took 2.8–3.4 s with both pools at
    /// 2 threads, 1.1–1.6 s with OpenBLAS at 1).
    public static func setComputeThreads(_ count: Int) {
        precondition(count >= 1, "compute threads must be at least 1, got \(count)")
        threads.store(count, ordering: .relaxed)
        #if !canImport(Accelerate)
            openblas_set_num_threads(1)
        #endif
    }

    /// The number of threads one GEMM may use.
    public static var computeThreads: Int { threads.load(ordering: .relaxed) }

    #if !canImport(Accelerate)
        /// oneDNN sizes its OpenMP team from the calling thread's own setting, which every new thread inherits
        /// from OMP_NUM_THREADS (all cores) rather than from the budget.
        /// - Parameter limit: Fewer threads than the budget, for work too small to share.
        static func applyToCallingThread(atMost limit: Int = .max) {
            let wanted = Int32(Swift.min(threads.load(ordering: .relaxed), limit))
            if omp_get_max_threads() != wanted { omp_set_num_threads(wanted) }
        }
    #endif
}
