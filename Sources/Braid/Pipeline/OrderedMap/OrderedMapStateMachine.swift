import DequeModule

/// The bookkeeping of ``AsyncOrderedMapSequence``, free of locks, tasks and clocks.
///
/// Elements taken from upstream get consecutive indices and a slot in a window, in upstream order. A slot is
/// empty while its transform runs and filled when it finishes; the consumer only ever takes the first slot, so the
/// output order is the upstream order whatever order the transforms finish in.
///
/// Two bounds hold at every step:
/// - at most `jobs` transforms run at once;
/// - at most `jobs + bufferSize` elements are taken from upstream and not yet handed to the consumer.
///
/// The producer (the task pulling upstream) asks for a slot before each pull and is suspended until both bounds
/// allow one more element. Continuations are generic so tests can drive the machine with plain tokens; the storage
/// resumes them after it has released its lock, as each event's returned action says.
struct OrderedMapStateMachine<Output, Producer, Consumer> {
    /// What a suspended consumer gets: an output, the end (`.success(nil)`), or the upstream's failure.
    typealias Delivery = Result<Output?, any Error>

    private struct Window {
        var slots: Deque<Output?> = []
        /// Index of `slots.first` among all elements taken from upstream.
        var firstIndex = 0
        var running = 0

        var nextIndex: Int { firstIndex + slots.count }

        mutating func popHead() -> Output? {
            guard let head = slots.first, let output = head else { return nil }
            slots.removeFirst()
            firstIndex += 1
            return output
        }
    }

    private enum State {
        /// Upstream may still produce.
        case active(window: Window, suspendedProducer: Producer?, suspendedConsumer: Consumer?)
        /// Upstream has ended (possibly with `failure`); the window drains, then the consumer gets the end.
        case draining(window: Window, failure: (any Error)?, suspendedConsumer: Consumer?)
        /// Delivered the end, or interrupted.
        case finished
    }

    private var state: State = .active(window: Window(), suspendedProducer: nil, suspendedConsumer: nil)
    private let jobs: Int
    private let capacity: Int

    /// - Parameters:
    ///   - jobs: transforms allowed to run at once (at least 1).
    ///   - bufferSize: finished outputs allowed to wait for the consumer beyond `jobs` (at least 0).
    init(jobs: Int, bufferSize: Int) {
        precondition(jobs >= 1, "jobs must be at least 1")
        precondition(bufferSize >= 0, "bufferSize must not be negative")
        self.jobs = jobs
        self.capacity = jobs + bufferSize
    }

    private func hasFreeSlot(_ window: Window) -> Bool {
        window.running < jobs && window.slots.count < capacity
    }

    // MARK: Producer events

    enum ProducerReadyAction {
        /// Resume the producer: `true` pulls the next element, `false` stops pulling.
        case resume(Producer, pull: Bool)
        /// The producer stays suspended until a slot frees.
        case none
    }

    /// The producer wants to pull one more element.
    mutating func producerReady(_ producer: Producer) -> ProducerReadyAction {
        switch state {
        case .active(let window, .none, let consumer):
            if hasFreeSlot(window) { return .resume(producer, pull: true) }
            state = .active(window: window, suspendedProducer: producer, suspendedConsumer: consumer)
            return .none
        case .active(_, .some, _):
            preconditionFailure("Invalid state: a producer is already suspended.")
        case .draining, .finished:
            return .resume(producer, pull: false)
        }
    }

    /// The producer took an element from upstream. Returns the element's index, or `nil` when the sequence was
    /// interrupted meanwhile and the element must not be transformed.
    mutating func elementTaken() -> Int? {
        switch state {
        case .active(var window, let producer, let consumer):
            precondition(producer == nil && hasFreeSlot(window), "Invalid state: element taken without a free slot.")
            let index = window.nextIndex
            window.slots.append(nil)
            window.running += 1
            state = .active(window: window, suspendedProducer: nil, suspendedConsumer: consumer)
            return index
        case .draining:
            preconditionFailure("Invalid state: element taken after upstream ended.")
        case .finished:
            return nil
        }
    }

    enum UpstreamEndedAction {
        case resume(Consumer, Delivery)
        case none
    }

    /// Upstream returned `nil` (`failure == nil`) or threw `failure`.
    mutating func upstreamEnded(failure: (any Error)?) -> UpstreamEndedAction {
        switch state {
        case .active(let window, _, let consumer):
            if window.slots.isEmpty, let consumer {
                state = .finished
                return .resume(consumer, failure.map { .failure($0) } ?? .success(nil))
            }
            state = .draining(window: window, failure: failure, suspendedConsumer: consumer)
            return .none
        case .draining:
            preconditionFailure("Invalid state: upstream ended twice.")
        case .finished:
            return .none
        }
    }

    // MARK: Worker events

    struct TransformFinishedAction {
        var consumer: (Consumer, Delivery)?
        var producer: Producer?
    }

    /// The transform of element `index` produced `output`.
    mutating func transformFinished(index: Int, output: Output) -> TransformFinishedAction {
        switch state {
        case .active(var window, let producer, let consumer):
            Self.fill(&window, index: index, output: output)
            var action = TransformFinishedAction()
            var remainingConsumer = consumer
            if let consumer, let head = window.popHead() {
                action.consumer = (consumer, .success(head))
                remainingConsumer = nil
            }
            var remainingProducer = producer
            if let producer, hasFreeSlot(window) {
                action.producer = producer
                remainingProducer = nil
            }
            state = .active(window: window, suspendedProducer: remainingProducer, suspendedConsumer: remainingConsumer)
            return action
        case .draining(var window, let failure, let consumer):
            Self.fill(&window, index: index, output: output)
            guard let consumer, let head = window.popHead() else {
                state = .draining(window: window, failure: failure, suspendedConsumer: consumer)
                return TransformFinishedAction()
            }
            state = .draining(window: window, failure: failure, suspendedConsumer: nil)
            return TransformFinishedAction(consumer: (consumer, .success(head)))
        case .finished:
            return TransformFinishedAction()
        }
    }

    private static func fill(_ window: inout Window, index: Int, output: Output) {
        let offset = index - window.firstIndex
        precondition(window.slots.indices.contains(offset), "Invalid state: finished an element not in the window.")
        precondition(window.slots[offset] == nil, "Invalid state: element finished twice.")
        window.slots[offset] = output
        window.running -= 1
    }

    // MARK: Consumer events

    enum ConsumerReadyAction {
        case resume(Consumer, Delivery, producer: Producer?)
        case none
    }

    /// The consumer asks for the next output.
    mutating func consumerReady(_ consumer: Consumer) -> ConsumerReadyAction {
        switch state {
        case .active(var window, let producer, .none):
            guard let head = window.popHead() else {
                state = .active(window: window, suspendedProducer: producer, suspendedConsumer: consumer)
                return .none
            }
            let resumedProducer = producer.flatMap { hasFreeSlot(window) ? $0 : nil }
            state = .active(
                window: window, suspendedProducer: resumedProducer == nil ? producer : nil, suspendedConsumer: nil)
            return .resume(consumer, .success(head), producer: resumedProducer)
        case .draining(var window, let failure, .none):
            if let head = window.popHead() {
                state = .draining(window: window, failure: failure, suspendedConsumer: nil)
                return .resume(consumer, .success(head), producer: nil)
            }
            if window.slots.isEmpty {
                state = .finished
                return .resume(consumer, failure.map { .failure($0) } ?? .success(nil), producer: nil)
            }
            state = .draining(window: window, failure: failure, suspendedConsumer: consumer)
            return .none
        case .active(_, _, .some), .draining(_, _, .some):
            preconditionFailure("Invalid state: a consumer is already suspended.")
        case .finished:
            return .resume(consumer, .success(nil), producer: nil)
        }
    }

    // MARK: Cancellation

    struct InterruptedAction {
        var producer: Producer?
        var consumer: Consumer?
    }

    /// The consumer was cancelled or dropped its iterator: everything stops and pending outputs are discarded.
    mutating func interrupted() -> InterruptedAction {
        switch state {
        case .active(_, let producer, let consumer):
            state = .finished
            return InterruptedAction(producer: producer, consumer: consumer)
        case .draining(_, _, let consumer):
            state = .finished
            return InterruptedAction(consumer: consumer)
        case .finished:
            return InterruptedAction()
        }
    }
}
