import Dispatch

#if !canImport(Accelerate)
    import CDNNL
#endif

/// Splits the row loops of BraidTensor's own kernels (softmax, layer norm, elementwise functions)
/// across the same thread budget BLAS uses, so a 2-thread budget speeds up the whole op, not only
/// its GEMMs.
///
/// On Linux the loops run on GNU OpenMP's team, the threads oneDNN's kernels run on. Between two of
/// oneDNN's parallel regions its threads spin for a while before they sleep; a loop on threads of its
/// own (Dispatch's) then competed with them for the cores, and a CNN's training step ran 20% slower
/// (measured with OMP_WAIT_POLICY=passive, which stops the spinning: 10.6 s → 8.5 s for 10,000 MNIST
/// digits on 2 cores).
enum Parallel {
    /// Below this many scalars of work a kernel stays on the calling thread: waking a second
    /// thread costs more than it saves.
    static let minimumWork = 1 << 15

    /// Calls `body` on disjoint, contiguous sub-ranges covering `0..<count`, concurrently when
    /// `count · costPerItem` is large and the budget allows more than one thread.
    /// - Parameter costPerItem: Roughly how many scalars one item touches (a row's width).
    static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = Swift.min(ThreadBudget.computeThreads, count)
        guard threads > 1, count * costPerItem >= minimumWork else {
            body(0..<count)
            return
        }
        let chunk = (count + threads - 1) / threads
        withoutActuallyEscaping(body) { body in
            #if canImport(Accelerate)
                let work = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: threads) { index in
                    let range = (index * chunk)..<Swift.min(count, (index + 1) * chunk)
                    if !range.isEmpty { work.value(range) }
                }
            #else
                var job = ChunkJob(body: body, chunk: chunk, count: count)
                withUnsafeMutablePointer(to: &job) { job in
                    GOMP_parallel(
                        { context in
                            guard let job = context?.assumingMemoryBound(to: ChunkJob.self).pointee else { return }
                            let index = Int(omp_get_thread_num())
                            let range = (index * job.chunk)..<Swift.min(job.count, (index + 1) * job.chunk)
                            if !range.isEmpty { job.body(range) }
                        }, job, UInt32(threads), 0)
                }
            #endif
        }
    }
}

#if !canImport(Accelerate)
    /// What each thread of an OpenMP team needs to find its chunk: passed through `GOMP_parallel`'s `void *`.
    private struct ChunkJob {
        let body: (Range<Int>) -> Void
        let chunk: Int
        let count: Int
    }
#endif

/// Carries the kernel closure (which captures raw buffer pointers) into `concurrentPerform`; the
/// chunks it is called with never overlap, so no two threads write the same element.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
