import Foundation
import Synchronization
import XCTest

@testable import Braid

final class EmbeddingSinkTests: XCTestCase {
    private static func record(_ id: String) -> EmbeddingRecord {
        EmbeddingRecord(id: id, source: "\(id).txt", modality: .text, encoder: "hashed", embedding: [0.5])
    }

    func test_given_records_and_failures_then_each_goes_to_its_stream_in_order() async throws {
        let folder = try makeTemporaryFolder(self)
        let outputPath = folder.appendingPathComponent("out.jsonl").path
        let errorsPath = folder.appendingPathComponent("errors.jsonl").path
        let statistics = PipelineStatistics(stageNames: ["output"])
        let sink = EmbeddingSink(
            output: try JSONLWriter(appendingTo: outputPath), errors: try JSONLWriter(appendingTo: errorsPath),
            statistics: statistics.stage("output"))
        let records: [Result<EmbeddingRecord, ItemFailure>] = [
            .success(Self.record("a")), .failure(ItemFailure(id: "b", message: "b: empty file (0 bytes)")),
            .success(Self.record("c")),
        ]

        let summary = try await sink.drain(records.async)
        XCTAssertEqual(summary, EmbeddingSink.Summary(written: 2, failed: 1, consumerGone: false))
        let output = try String(contentsOfFile: outputPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(output.map { ResumeJournal.id(in: Array($0.utf8)) }, ["a", "c"])
        XCTAssertEqual(
            try String(contentsOfFile: errorsPath, encoding: .utf8),
            #"{"id":"b","error":"b: empty file (0 bytes)"}"# + "\n")
        XCTAssertEqual(statistics.report().first?.items, 3)
    }

    func test_given_the_reader_leaves_then_draining_stops_early_and_reports_it() async throws {
        _ = JSONLWriter.standardOutput()  // ignores SIGPIPE
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        close(ends[0])
        let pulled = Mutex(0)
        let records = (0..<100).async.map { number -> Result<EmbeddingRecord, ItemFailure> in
            pulled.withLock { $0 += 1 }
            return .success(Self.record("r\(number)"))
        }
        let sink = EmbeddingSink(
            output: JSONLWriter(descriptor: ends[1], name: "pipe", ownsDescriptor: true), errors: .standardError())

        let summary = try await sink.drain(records)
        XCTAssertEqual(summary, EmbeddingSink.Summary(written: 0, failed: 0, consumerGone: true))
        XCTAssertEqual(pulled.withLock { $0 }, 1)
    }
}
