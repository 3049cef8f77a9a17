extension AsyncSequence where Self: Sendable {
    /// Records each element this sequence yields as one item of `statistics`, with the time spent producing it as
    /// busy time; for a stage that is a plain sequence, such as the input.
    ///
    /// Put it after any filter (shard, resume), so that elements it counts are the ones the next stage receives;
    /// otherwise the queue in front of that stage would count elements that never reach it.
    ///
    /// - Parameter statistics: The stage to record into; nil passes elements through unrecorded (no `--stats`).
    public func measured(by statistics: StageStatistics?) -> AsyncMeasuredSequence<Self> {
        AsyncMeasuredSequence(base: self, statistics: statistics)
    }
}

/// An asynchronous sequence that passes elements through unchanged and records them into a
/// ``StageStatistics``; see ``_Concurrency/AsyncSequence/measured(by:)``.
public struct AsyncMeasuredSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable {
    public typealias Element = Base.Element

    let base: Base
    let statistics: StageStatistics?

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), statistics: statistics)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let statistics: StageStatistics?

        public mutating func next() async throws -> Base.Element? {
            guard let statistics else { return try await base.next() }
            let start = ContinuousClock.now
            guard let element = try await base.next() else { return nil }
            statistics.finished(startedAt: statistics.started(at: start))
            return element
        }
    }
}

@available(*, unavailable)
extension AsyncMeasuredSequence.Iterator: Sendable {}
