extension AsyncSequence where Self: Sendable, Element: Sendable {
    /// Transforms up to `jobs` elements concurrently and yields the outputs in upstream order.
    ///
    /// Back-pressure: at most `jobs` transforms run at once, and at most `jobs + bufferSize` elements are taken from
    /// upstream and not yet consumed (running, or finished and waiting behind a slower earlier element). When that
    /// window is full, upstream is not pulled until the consumer takes an output; nothing is dropped.
    ///
    /// Upstream is first pulled on the first `next()`. If upstream throws, the outputs of the elements taken before
    /// are still yielded in order, then the error is thrown. The transform cannot throw: a per-element failure is a
    /// value of `Output` (see ``ItemFailure``), so later elements keep flowing. Cancelling the consuming task, or
    /// dropping the iterator, cancels the pulling task and every running transform and ends the sequence.
    ///
    /// - Parameters:
    ///   - jobs: transforms allowed to run at once (at least 1).
    ///   - bufferSize: finished outputs allowed to wait for the consumer beyond `jobs` (at least 0).
    ///   - transform: the work for one element; it should check for cancellation if it runs long.
    public func orderedMap<Output: Sendable>(
        jobs: Int,
        bufferSize: Int,
        _ transform: @escaping @Sendable (Element) async -> Output
    ) -> AsyncOrderedMapSequence<Self, Output> {
        AsyncOrderedMapSequence(base: self, jobs: jobs, bufferSize: bufferSize, transform: transform)
    }
}

/// An asynchronous sequence that maps elements concurrently and keeps their order; see
/// ``_Concurrency/AsyncSequence/orderedMap(jobs:bufferSize:_:)``.
public struct AsyncOrderedMapSequence<Base: AsyncSequence & Sendable, Output: Sendable>: AsyncSequence, Sendable
where Base.Element: Sendable {
    public typealias Element = Output

    let base: Base
    let jobs: Int
    let bufferSize: Int
    let transform: @Sendable (Base.Element) async -> Output

    init(base: Base, jobs: Int, bufferSize: Int, transform: @escaping @Sendable (Base.Element) async -> Output) {
        precondition(jobs >= 1, "orderedMap needs at least one job")
        precondition(bufferSize >= 0, "orderedMap needs a non-negative buffer size")
        self.base = base
        self.jobs = jobs
        self.bufferSize = bufferSize
        self.transform = transform
    }

    public func makeAsyncIterator() -> Iterator {
        let storage = OrderedMapStorage(base: base, jobs: jobs, bufferSize: bufferSize, transform: transform)
        return Iterator(lifetime: Iterator.Lifetime(storage))
    }

    public struct Iterator: AsyncIteratorProtocol {
        /// The driver task keeps the storage alive, so the storage cannot notice the iterator going away by itself.
        final class Lifetime {
            let storage: OrderedMapStorage<Base, Output>
            init(_ storage: OrderedMapStorage<Base, Output>) { self.storage = storage }
            deinit { storage.interrupt() }
        }

        let lifetime: Lifetime

        public mutating func next() async throws -> Output? {
            try await lifetime.storage.next()
        }
    }
}

@available(*, unavailable)
extension AsyncOrderedMapSequence.Iterator: Sendable {}
