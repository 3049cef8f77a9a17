import Foundation
import XCTest

@testable import Braid

final class EmbeddingFormatTests: XCTestCase {
    func test_base64_holds_the_little_endian_float32_bytes() throws {
        // 1.0 is 0x3F800000 and -2.0 is 0xC0000000; Python: base64.b64encode(struct.pack("<2f", 1, -2)).
        let record = EmbeddingRecord(id: "v", source: nil, modality: .text, encoder: "e", embedding: [1, -2])
        XCTAssertEqual(
            String(decoding: record.jsonLine(embedding: .base64), as: UTF8.self),
            #"{"id":"v","source":null,"modality":"text","encoder":"e","dim":2,"embedding":"AACAPwAAAMA=","meta":{}}"#
                + "\n")
    }

    func test_every_bit_pattern_reads_back_including_the_ones_decimal_json_cannot_hold() throws {
        var floats: [Float] = [.nan, .signalingNaN, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude]
        var generator = SystemRandomNumberGenerator()
        while floats.count < 1000 { floats.append(Float(bitPattern: generator.next())) }
        var line = JSONLine()
        line.append(key: "embedding", floats: floats, as: .base64)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.line)) as? [String: Any])
        let vector = try XCTUnwrap(EmbeddingFormat.vector(from: object["embedding"]))
        XCTAssertEqual(vector.map(\.bitPattern), floats.map(\.bitPattern))
    }

    func test_a_reader_takes_numbers_and_refuses_what_is_not_a_vector() {
        XCTAssertEqual(EmbeddingFormat.vector(from: [0.5, -1.0]), [0.5, -1])
        XCTAssertEqual(EmbeddingFormat.vector(from: "AACAPwAAAMA="), [1, -2])
        XCTAssertNil(EmbeddingFormat.vector(from: "AACA"), "three bytes, not a whole float")
        XCTAssertNil(EmbeddingFormat.vector(from: "not base64!"))
        XCTAssertNil(EmbeddingFormat.vector(from: ["a"]))
        XCTAssertNil(EmbeddingFormat.vector(from: nil))
    }
}
