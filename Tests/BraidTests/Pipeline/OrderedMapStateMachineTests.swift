import XCTest

@testable import Braid

/// Drives the pure state machine with integer tokens standing for continuations.
final class OrderedMapStateMachineTests: XCTestCase {
    private typealias Machine = OrderedMapStateMachine<String, Int, Int>

    private struct Stop: Error {}

    /// Takes one element, expecting the producer to be let through.
    private func take(
        _ machine: inout Machine, producer: Int, file: StaticString = #filePath, line: UInt = #line
    )
        -> Int?
    {
        guard case .resume(producer, pull: true) = machine.producerReady(producer) else {
            XCTFail("producer \(producer) should pull", file: file, line: line)
            return nil
        }
        return machine.elementTaken()
    }

    func test_given_jobs_running_when_producer_asks_then_it_waits_for_a_finished_transform() {
        var machine = Machine(jobs: 2, bufferSize: 5)
        XCTAssertEqual(take(&machine, producer: 1), 0)
        XCTAssertEqual(take(&machine, producer: 2), 1)
        guard case .none = machine.producerReady(3) else { return XCTFail("two running of two jobs: must suspend") }

        let action = machine.transformFinished(index: 1, output: "b")
        XCTAssertEqual(action.producer, 3)
        XCTAssertNil(action.consumer)
    }

    func test_given_outputs_waiting_when_window_is_full_then_producer_waits_for_the_consumer() {
        var machine = Machine(jobs: 1, bufferSize: 1)
        XCTAssertEqual(take(&machine, producer: 1), 0)
        XCTAssertNil(machine.transformFinished(index: 0, output: "a").producer)
        XCTAssertEqual(take(&machine, producer: 2), 1)
        guard case .none = machine.producerReady(3) else { return XCTFail("job busy: must suspend") }

        // Element 1 finishes: no job runs, but two outputs fill the window of jobs + bufferSize = 2.
        XCTAssertNil(machine.transformFinished(index: 1, output: "b").producer)

        guard case .resume(7, .success("a"), producer: 3) = machine.consumerReady(7) else {
            return XCTFail("consumer takes the head and frees a slot")
        }
    }

    func test_given_later_element_finishes_first_when_consumer_waits_then_it_gets_outputs_in_upstream_order() {
        var machine = Machine(jobs: 3, bufferSize: 0)
        for producer in 0..<3 { XCTAssertEqual(take(&machine, producer: producer), producer) }
        guard case .none = machine.consumerReady(10) else { return XCTFail("nothing finished yet") }

        XCTAssertNil(machine.transformFinished(index: 2, output: "c").consumer)
        XCTAssertNil(machine.transformFinished(index: 1, output: "b").consumer)
        let head = machine.transformFinished(index: 0, output: "a")
        XCTAssertEqual(head.consumer?.0, 10)
        XCTAssertEqual(try head.consumer?.1.get(), "a")

        guard case .resume(11, .success("b"), _) = machine.consumerReady(11) else { return XCTFail("b is next") }
        guard case .resume(12, .success("c"), _) = machine.consumerReady(12) else { return XCTFail("c is next") }
    }

    func test_given_upstream_failed_when_window_drains_then_outputs_come_before_the_error() {
        var machine = Machine(jobs: 2, bufferSize: 0)
        XCTAssertEqual(take(&machine, producer: 1), 0)
        guard case .none = machine.upstreamEnded(failure: Stop()) else { return XCTFail("no consumer waiting yet") }
        guard case .resume(_, pull: false) = machine.producerReady(2) else { return XCTFail("upstream ended: stop") }

        guard case .none = machine.consumerReady(5) else { return XCTFail("element 0 still running") }
        let finished = machine.transformFinished(index: 0, output: "a")
        XCTAssertEqual(try finished.consumer?.1.get(), "a")

        guard case .resume(6, .failure(let error), _) = machine.consumerReady(6) else {
            return XCTFail("the upstream error follows the last output")
        }
        XCTAssertTrue(error is Stop)
        guard case .resume(7, .success(nil), _) = machine.consumerReady(7) else { return XCTFail("then the end") }
    }

    func test_given_consumer_waiting_when_upstream_ends_empty_then_consumer_gets_the_end() {
        var machine = Machine(jobs: 1, bufferSize: 0)
        guard case .none = machine.consumerReady(1) else { return XCTFail("nothing yet") }
        guard case .resume(1, .success(nil)) = machine.upstreamEnded(failure: nil) else {
            return XCTFail("the waiting consumer must learn the end")
        }
    }

    func test_given_suspended_producer_and_consumer_when_interrupted_then_both_are_returned_and_work_is_ignored() {
        var machine = Machine(jobs: 1, bufferSize: 0)
        XCTAssertEqual(take(&machine, producer: 1), 0)
        guard case .none = machine.producerReady(2) else { return XCTFail("job busy") }
        guard case .none = machine.consumerReady(3) else { return XCTFail("element 0 running") }

        let action = machine.interrupted()
        XCTAssertEqual(action.producer, 2)
        XCTAssertEqual(action.consumer, 3)

        let late = machine.transformFinished(index: 0, output: "a")
        XCTAssertNil(late.consumer)
        XCTAssertNil(late.producer)
        XCTAssertNil(machine.elementTaken())
        guard case .resume(4, .success(nil), _) = machine.consumerReady(4) else { return XCTFail("ended") }
    }
}
