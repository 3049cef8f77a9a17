import Synchronization

/// The lock, continuations and tasks behind ``AsyncOrderedMapSequence``.
///
/// One driver task pulls upstream and runs each transform as a child of a discarding task group, so cancelling the
/// driver cancels every running transform and the group never keeps finished children. All decisions are taken by
/// ``OrderedMapStateMachine`` under the lock; continuations are resumed after the lock is released.
final class OrderedMapStorage<Base: AsyncSequence & Sendable, Output: Sendable>: Sendable
where Base.Element: Sendable {
    typealias Producer = UnsafeContinuation<Bool, Never>
    typealias Consumer = UnsafeContinuation<Result<Output?, any Error>, Never>
    private typealias Machine = OrderedMapStateMachine<Output, Producer, Consumer>

    private struct Guarded {
        var machine: Machine
        /// Upstream until the driver starts on the first `next()`.
        var base: Base?
        var driver: Task<Void, Never>?
    }

    private let guarded: Mutex<Guarded>
    private let transform: @Sendable (Base.Element) async -> Output

    init(base: Base, jobs: Int, bufferSize: Int, transform: @escaping @Sendable (Base.Element) async -> Output) {
        self.guarded = Mutex(Guarded(machine: Machine(jobs: jobs, bufferSize: bufferSize), base: base, driver: nil))
        self.transform = transform
    }

    func next() async throws -> Output? {
        let delivery = await withTaskCancellationHandler {
            await withUnsafeContinuation { (consumer: Consumer) in
                let action = guarded.withLock { guarded in
                    if let base = guarded.base.take() {
                        guarded.driver = Task { await self.drive(base) }
                    }
                    return guarded.machine.consumerReady(consumer)
                }
                switch action {
                case .resume(let consumer, let delivery, let producer):
                    producer?.resume(returning: true)
                    consumer.resume(returning: delivery)
                case .none:
                    break
                }
            }
        } onCancel: {
            interrupt()
        }
        return try delivery.get()
    }

    /// Stops the driver and its transforms and ends the consumer's wait; called on cancellation and when the iterator
    /// is dropped.
    func interrupt() {
        let (action, driver) = guarded.withLock { guarded in
            guarded.base = nil
            return (guarded.machine.interrupted(), guarded.driver)
        }
        driver?.cancel()
        action.producer?.resume(returning: false)
        action.consumer?.resume(returning: .success(nil))
    }

    private func drive(_ base: Base) async {
        await withDiscardingTaskGroup { group in
            var iterator = base.makeAsyncIterator()
            var failure: (any Error)?
            while await slotGranted() {
                let element: Base.Element
                do {
                    guard let next = try await iterator.next() else { break }
                    element = next
                } catch {
                    failure = error
                    break
                }
                guard let index = guarded.withLock({ $0.machine.elementTaken() }) else { break }
                group.addTask {
                    let output = await self.transform(element)
                    self.transformFinished(index: index, output: output)
                }
            }
            let action = guarded.withLock { $0.machine.upstreamEnded(failure: failure) }
            if case .resume(let consumer, let delivery) = action {
                consumer.resume(returning: delivery)
            }
        }
    }

    /// Suspends the driver until one more element may be taken; `false` when it must stop.
    private func slotGranted() async -> Bool {
        await withUnsafeContinuation { (producer: Producer) in
            let action = guarded.withLock { $0.machine.producerReady(producer) }
            if case .resume(let producer, let pull) = action {
                producer.resume(returning: pull)
            }
        }
    }

    private func transformFinished(index: Int, output: Output) {
        let action = guarded.withLock { $0.machine.transformFinished(index: index, output: output) }
        action.producer?.resume(returning: true)
        if let (consumer, delivery) = action.consumer {
            consumer.resume(returning: delivery)
        }
    }
}
