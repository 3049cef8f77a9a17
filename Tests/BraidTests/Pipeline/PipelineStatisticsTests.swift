import XCTest

@testable import Braid

final class PipelineStatisticsTests: XCTestCase {
    func test_given_items_waiting_between_stages_then_the_queue_depth_is_averaged_over_time() async throws {
        let statistics = PipelineStatistics(stageNames: ["input", "decode"])
        let input = statistics.stage("input")
        let decode = statistics.stage("decode")

        // Four items wait in front of decode for the first half of the run, none for the second half.
        for _ in 0..<4 { input.finished(startedAt: input.started()) }
        let halfway = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<4 { decode.finished(startedAt: decode.started()) }
        let waited = ContinuousClock.now - halfway
        try await Task.sleep(for: waited)

        let report = statistics.report()
        XCTAssertEqual(report.map(\.name), ["input", "decode"])
        XCTAssertEqual(report.map(\.items), [4, 4])
        XCTAssertEqual(report[0].meanQueueDepth, 0)
        XCTAssertEqual(report[1].meanQueueDepth, 2, accuracy: 0.3)
    }

    func test_given_measured_work_then_busy_time_and_rate_are_recorded() async throws {
        let statistics = PipelineStatistics(stageNames: ["encode"])
        let encode = statistics.stage("encode")
        for _ in 0..<3 {
            try await encode.measure { try await Task.sleep(for: .milliseconds(20)) }
        }
        let report = try XCTUnwrap(statistics.report().first)
        XCTAssertEqual(report.items, 3)
        XCTAssertGreaterThanOrEqual(report.busy, .milliseconds(60))
        XCTAssertLessThanOrEqual(report.itemsPerSecond, 3 / 0.060)
        XCTAssertGreaterThan(report.itemsPerSecond, 0)
        XCTAssertTrue(statistics.formattedReport().hasPrefix("stage "))
        XCTAssertTrue(statistics.formattedReport().contains("encode            3"))
    }

    func test_given_two_item_stages_then_each_counts_every_record_it_passes() async throws {
        let statistics = PipelineStatistics(stageNames: ["first", "second"])
        let records = (0..<10).map { Result<Int, ItemFailure>.success($0) }.map { result in
            result.map { Tagged(value: $0) }
        }
        let staged = records.async
            .itemStage(jobs: 2, bufferSize: 2, statistics: statistics.stage("first")) { (tagged: Tagged) in
                Tagged(value: tagged.value + 1)
            }
            .itemStage(jobs: 2, bufferSize: 2, statistics: statistics.stage("second")) { (tagged: Tagged) in
                tagged.value
            }
        var outputs: [Int] = []
        for try await output in staged { outputs.append(try output.get()) }
        XCTAssertEqual(outputs, Array(1...10))
        XCTAssertEqual(statistics.report().map(\.items), [10, 10])
    }
}

private struct Tagged: Identifiable, Sendable {
    let value: Int
    var id: String { String(value) }
}
