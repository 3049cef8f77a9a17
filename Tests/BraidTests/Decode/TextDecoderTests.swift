import Braid
import Foundation
import XCTest

final class TextDecoderTests: XCTestCase {
    func test_every_text_fixture_decodes_to_the_reference_utf8() throws {
        let entries = Fixtures.entries("text")
        XCTAssertGreaterThanOrEqual(entries.count, 4)
        for entry in entries {
            let media = try MediaDecoder().decode(Item(id: entry.path, source: .file(path: Fixtures.path(entry.path))))
            guard case .text(let text) = media else { return XCTFail("\(entry.path) is not text: \(media.modality)") }
            let reference =
                try entry.reference["utf8"].map { try String(contentsOfFile: Fixtures.path($0), encoding: .utf8) } ?? ""
            XCTAssertEqual(text.string, reference, entry.path)
            XCTAssertEqual(text.string.unicodeScalars.count, entry.expected["unicode_scalars"]?.int, entry.path)
            XCTAssertEqual(text.encoding.rawValue, entry.expected["encoding"]?.string, entry.path)
        }
    }

    func test_invalid_bytes_fail_with_their_offset_or_are_replaced_on_request() throws {
        let bytes: [UInt8] = Array("abc".utf8) + [0xFF] + Array("def".utf8)
        XCTAssertThrowsError(try TextDecoder().decode(bytes, source: "bad.txt")) { error in
            XCTAssertEqual("\(error)", "bad.txt: invalid text: invalid UTF-8 near byte 3")
        }
        XCTAssertEqual(try TextDecoder(replaceInvalid: true).decode(bytes, source: "bad.txt").string, "abc\u{FFFD}def")
    }

    func test_utf16_byte_order_marks_are_honoured() throws {
        let little: [UInt8] = [0xFF, 0xFE, 0x41, 0x00, 0x3D, 0xD8, 0x00, 0xDE]
        let big: [UInt8] = [0xFE, 0xFF, 0x00, 0x41, 0xD8, 0x3D, 0xDE, 0x00]
        XCTAssertEqual(try TextDecoder().decode(little, source: "le").string, "A😀")
        XCTAssertEqual(try TextDecoder().decode(big, source: "be").string, "A😀")
    }
}
