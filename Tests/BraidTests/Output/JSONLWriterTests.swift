import Foundation
import XCTest

@testable import Braid

final class JSONLWriterTests: XCTestCase {
    private func temporaryFile() throws -> String {
        let folder = try makeTemporaryFolder(self)
        return folder.appendingPathComponent("out.jsonl").path
    }

    func test_given_a_record_then_keys_come_in_the_documented_order_with_escaped_strings() throws {
        let path = try temporaryFile()
        let writer = try JSONLWriter(appendingTo: path)
        try writer.write(
            EmbeddingRecord(
                id: "say \"hi\"\n", source: nil, modality: .text, encoder: "hashed", embedding: [0.1, -0.0, 1e-5, 3],
                meta: ["width": .integer(28), "kind": .string("tab\there"), "scale": .number(0.5), "gray": .bool(true)])
        )
        try writer.write(ItemFailure(id: "b.png", message: "b.png: corrupt: bad CRC"))

        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(
            text,
            #"{"id":"say \"hi\"\n","source":null,"modality":"text","encoder":"hashed","dim":4,"#
                + #""embedding":[0.1,-0.0,1e-05,3.0],"meta":{"gray":true,"kind":"tab\there","scale":0.5,"width":28}}"#
                + "\n" + #"{"id":"b.png","error":"b.png: corrupt: bad CRC"}"# + "\n")
    }

    func test_given_random_floats_then_the_written_text_reads_back_to_the_same_bits() throws {
        var floats: [Float] = [.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.leastNormalMagnitude, 1 / 3, 0.1]
        var generator = SystemRandomNumberGenerator()
        while floats.count < 2000 {
            let candidate = Float(bitPattern: generator.next())
            if candidate.isFinite { floats.append(candidate) }
        }
        let path = try temporaryFile()
        try JSONLWriter(appendingTo: path).write(
            EmbeddingRecord(id: "r", source: "r.wav", modality: .audio, encoder: "mel", embedding: floats))

        // Foundation's JSON parser reads the numbers as Double; narrowing each to Float must give the original back.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let parsed = try XCTUnwrap(object["embedding"] as? [NSNumber]).map { Float($0.doubleValue) }
        XCTAssertEqual(parsed.map(\.bitPattern), floats.map(\.bitPattern))
        XCTAssertEqual(object["dim"] as? Int, 2000)
    }

    func test_given_nan_and_infinity_then_they_are_written_as_null_and_the_line_stays_json() throws {
        let path = try temporaryFile()
        try JSONLWriter(appendingTo: path).write(
            EmbeddingRecord(
                id: "x", source: nil, modality: .image, encoder: "f", embedding: [.nan, .infinity, -.infinity, 1]))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains(#""embedding":[null,null,null,1.0]"#))
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: data))
    }

    func test_given_the_reader_closed_the_pipe_then_writing_reports_consumer_gone() throws {
        _ = JSONLWriter.standardOutput()  // ignores SIGPIPE, as the CLI does before writing
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        close(ends[0])
        let writer = JSONLWriter(descriptor: ends[1], name: "pipe", ownsDescriptor: true)
        XCTAssertThrowsError(try writer.write(ItemFailure(id: "a", message: "m"))) { error in
            XCTAssertEqual(error as? OutputError, .consumerGone)
        }
    }
}
