import Synchronization
import XCTest

@testable import Braid

final class OrderedMapTests: XCTestCase {
    func test_given_fast_producer_and_slow_consumer_then_taken_but_unconsumed_never_exceeds_jobs_plus_buffer()
        async throws
    {
        let (jobs, bufferSize, total) = (3, 2, 40)
        let upstream = CountingSequence(count: total)
        let mapped = upstream.orderedMap(jobs: jobs, bufferSize: bufferSize) { $0 * 10 }

        var consumed = 0
        for try await output in mapped {
            XCTAssertEqual(output, consumed * 10)
            consumed += 1
            // Give the producer every chance to run ahead, then check it stopped exactly at the window's edge.
            let edge = min(total, consumed + jobs + bufferSize)
            try await waitUntil { upstream.produced.value >= edge }
            for _ in 0..<200 { await Task.yield() }
            XCTAssertEqual(upstream.produced.value, edge, "taken but not consumed after \(consumed) outputs")
        }
        XCTAssertEqual(consumed, total)
    }

    func test_given_blocked_transforms_then_at_most_jobs_run_and_upstream_waits() async throws {
        let upstream = CountingSequence(count: 20)
        let running = Gauge()
        let gate = Gate()
        let mapped = upstream.orderedMap(jobs: 3, bufferSize: 4) { element in
            running.enter()
            await gate.wait()
            running.leave()
            return element
        }

        let consumer = Task {
            var outputs: [Int] = []
            for try await output in mapped { outputs.append(output) }
            return outputs
        }
        try await waitUntil { running.current == 3 }
        for _ in 0..<200 { await Task.yield() }
        XCTAssertEqual(running.current, 3)
        XCTAssertEqual(upstream.produced.value, 3, "a free slot needs a free job, not only window room")

        gate.open()
        let outputs = try await consumer.value
        XCTAssertEqual(outputs, Array(0..<20))
        XCTAssertEqual(running.maximum, 3)
    }

    func test_given_random_delays_and_four_jobs_then_outputs_keep_upstream_order() async throws {
        let running = Gauge()
        let mapped = CountingSequence(count: 120).orderedMap(jobs: 4, bufferSize: 2) { element in
            running.enter()
            defer { running.leave() }
            try? await Task.sleep(for: .microseconds(Int.random(in: 0...3000)))
            return element
        }

        var outputs: [Int] = []
        for try await output in mapped { outputs.append(output) }
        XCTAssertEqual(outputs, Array(0..<120))
        XCTAssertEqual(running.maximum, 4, "four transforms should have overlapped")
    }

    func test_given_failing_items_when_staged_then_failures_become_records_and_later_items_still_come() async throws {
        struct Odd: Error, CustomStringConvertible { var description: String { "odd value" } }
        let values = (0..<12).map { Result<Numbered, ItemFailure>.success(Numbered(value: $0)) }
        let staged = values.async.itemStage(jobs: 3, bufferSize: 1) { (numbered: Numbered) in
            guard numbered.value % 2 == 0 else { throw Odd() }
            return numbered.value * 100
        }

        var results: [Result<Int, ItemFailure>] = []
        for try await result in staged { results.append(result) }
        let expected: [Result<Int, ItemFailure>] = (0..<12).map {
            $0 % 2 == 0 ? .success($0 * 100) : .failure(ItemFailure(id: "n\($0)", message: "odd value"))
        }
        XCTAssertEqual(results, expected)
    }

    func test_given_failed_records_when_batched_then_they_pass_through_and_a_bad_value_fails_alone() async throws {
        struct Thirteen: Error, CustomStringConvertible { var description: String { "unlucky" } }
        let records: [Result<Numbered, ItemFailure>] = (10..<17).map {
            $0 == 11 ? .failure(ItemFailure(id: "n11", message: "could not decode")) : .success(Numbered(value: $0))
        }
        let batches = Gauge()
        let staged = records.async.batchedItemStage(batchSize: 3, jobs: 2, bufferSize: 1) { (batch: [Numbered]) in
            batches.enter()
            if batch.contains(where: { $0.value == 13 }) { throw Thirteen() }
            return batch.map { -$0.value }
        }

        var results: [Result<Int, ItemFailure>] = []
        for try await result in staged { results.append(result) }
        XCTAssertEqual(
            results,
            [
                .success(-10), .failure(ItemFailure(id: "n11", message: "could not decode")), .success(-12),
                .failure(ItemFailure(id: "n13", message: "unlucky")), .success(-14), .success(-15), .success(-16),
            ])
        // Batches [10, 12], [13, 14, 15] (failed, then 3 retries alone), [16].
        XCTAssertEqual(batches.entered, 6)
    }

    func test_given_upstream_throws_then_earlier_outputs_come_first_then_the_error() async throws {
        let mapped = CountingSequence(count: 100, failingAt: 5).orderedMap(jobs: 2, bufferSize: 2) { $0 }
        var outputs: [Int] = []
        do {
            for try await output in mapped { outputs.append(output) }
            XCTFail("the upstream error must reach the consumer")
        } catch {
            XCTAssertTrue(error is CountingSequence.Broken)
        }
        XCTAssertEqual(outputs, [0, 1, 2, 3, 4])
    }

    func test_given_consumer_cancelled_then_running_transforms_are_cancelled_and_production_stops() async throws {
        let upstream = CountingSequence(count: nil)
        let blocked = Gauge()
        let cancelled = Gauge()
        let mapped = upstream.orderedMap(jobs: 2, bufferSize: 3) { element in
            guard element >= 5 else { return element }
            blocked.enter()
            try? await Task.sleep(for: .seconds(3600))
            if Task.isCancelled { cancelled.enter() }
            return element
        }

        let received = Gauge()
        let consumer = Task {
            for try await _ in mapped { received.enter() }
        }
        try await waitUntil { received.entered == 5 && blocked.entered == 2 }
        consumer.cancel()
        try await consumer.value

        try await waitUntil { cancelled.entered == 2 }
        let producedAtCancel = upstream.produced.value
        for _ in 0..<200 { await Task.yield() }
        XCTAssertEqual(upstream.produced.value, producedAtCancel)
        XCTAssertLessThanOrEqual(producedAtCancel, 5 + 2 + 3)
    }

    func test_given_consumer_breaks_out_then_dropping_the_iterator_cancels_the_transforms() async throws {
        let blocked = Gauge()
        let cancelled = Gauge()
        let mapped = CountingSequence(count: nil).orderedMap(jobs: 2, bufferSize: 0) { element in
            guard element >= 1 else { return element }
            blocked.enter()
            try? await Task.sleep(for: .seconds(3600))
            if Task.isCancelled { cancelled.enter() }
            return element
        }
        for try await element in mapped {
            XCTAssertEqual(element, 0)
            try await waitUntil { blocked.entered >= 1 }
            break
        }
        // Element 1, and element 2 if the driver took it before the break, were running; both must be cancelled.
        try await waitUntil { cancelled.entered == blocked.entered }
    }
}

/// A value with an id, as items and decoded media have.
private struct Numbered: Identifiable, Sendable {
    let value: Int
    var id: String { "n\(value)" }
}

/// Yields 0, 1, 2, … (forever when `count` is nil) and counts what it produced; throws at `failingAt`.
private struct CountingSequence: AsyncSequence, Sendable {
    struct Broken: Error {}

    let count: Int?
    var failingAt: Int?
    let produced = Counter()

    init(count: Int?, failingAt: Int? = nil) {
        self.count = count
        self.failingAt = failingAt
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: CountingSequence
        mutating func next() async throws -> Int? {
            let value = sequence.produced.value
            if value == sequence.failingAt { throw Broken() }
            if let count = sequence.count, value >= count { return nil }
            sequence.produced.increment()
            return value
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }
}

private final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

/// Counts concurrent occupancy: how many are inside now, at most, and ever entered.
private final class Gauge: Sendable {
    private let state = Mutex((current: 0, maximum: 0, entered: 0))
    var current: Int { state.withLock { $0.current } }
    var maximum: Int { state.withLock { $0.maximum } }
    var entered: Int { state.withLock { $0.entered } }

    func enter() {
        state.withLock { state in
            state.current += 1
            state.entered += 1
            state.maximum = max(state.maximum, state.current)
        }
    }

    func leave() { state.withLock { $0.current -= 1 } }
}

/// Holds every waiter until `open()`.
private final class Gate: Sendable {
    private let state = Mutex((isOpen: false, waiters: [CheckedContinuation<Void, Never>]()))

    func wait() async {
        await withCheckedContinuation { continuation in
            let isOpen = state.withLock { state in
                if !state.isOpen { state.waiters.append(continuation) }
                return state.isOpen
            }
            if isOpen { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Polls `condition` every millisecond until it holds; fails the test after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            XCTFail("condition not met within \(timeout)", file: file, line: line)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
