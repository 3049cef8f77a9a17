import Dispatch

/// Splits the row loops of BraidTensor's own kernels (softmax, layer norm, elementwise functions)
/// across the same thread budget BLAS uses, so a 2-thread budget speeds up the whole op, not only
/// its GEMMs.
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
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: threads) { index in
                let range = (index * chunk)..<Swift.min(count, (index + 1) * chunk)
                if !range.isEmpty { work.value(range) }
            }
        }
    }
}

/// Carries the kernel closure (which captures raw buffer pointers) into `concurrentPerform`; the
/// chunks it is called with never overlap, so no two threads write the same element.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
