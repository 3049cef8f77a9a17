import BraidTensor

extension AsyncSequence where Element == Example, Self: Sendable {
    /// Numbered batches of `batchSize` examples, drawn at random from a window of the next `window` examples
    /// (seeded), so a stream too large to hold is still shuffled across `window` examples; a window of 1 keeps the
    /// order.
    ///
    /// Holds at most `window + batchSize` examples; each element upstream is pulled only when the window has room
    /// for it, so a slow consumer holds back the decode stage behind it.
    /// - Parameter keepingPartial: Whether a last batch of fewer than `batchSize` examples comes out (validation)
    ///   or is dropped (training, whose batch statistics want full batches).
    func batched(size batchSize: Int, window: Int = 1, seed: UInt64 = 0, keepingPartial: Bool = false)
        -> AsyncExampleBatchSequence<Self>
    {
        AsyncExampleBatchSequence(
            base: self, batchSize: batchSize, window: Swift.max(1, window), seed: seed, keepingPartial: keepingPartial)
    }
}

/// The sequence of ``_Concurrency/AsyncSequence/batched(size:window:seed:keepingPartial:)``.
struct AsyncExampleBatchSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable
where Base.Element == Example {
    typealias Element = ExampleBatch

    let base: Base
    let batchSize: Int
    let window: Int
    let seed: UInt64
    let keepingPartial: Bool

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let batchSize: Int
        let window: Int
        let keepingPartial: Bool
        var rng: SeededRNG
        var pending: [Example] = []
        var baseEnded = false
        var index = 0

        mutating func next() async throws -> ExampleBatch? {
            var batch: [Example] = []
            while batch.count < batchSize {
                while !baseEnded && pending.count < window {
                    if let example = try await base.next() { pending.append(example) } else { baseEnded = true }
                }
                guard !pending.isEmpty else { break }
                let pick = window == 1 ? 0 : Int(rng.next() % UInt64(pending.count))
                batch.append(window == 1 ? pending.removeFirst() : pending.swapRemove(at: pick))
            }
            guard batch.count == batchSize || (keepingPartial && !batch.isEmpty) else { return nil }
            defer { index += 1 }
            return (index: index, examples: batch)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            base: base.makeAsyncIterator(), batchSize: batchSize, window: window, keepingPartial: keepingPartial,
            rng: SeededRNG(seed: seed))
    }
}

extension Array {
    /// Removes element `index` by moving the last element into its place: O(1), order not kept.
    fileprivate mutating func swapRemove(at index: Int) -> Element {
        swapAt(index, count - 1)
        return removeLast()
    }
}
