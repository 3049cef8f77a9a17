import XCTest

@testable import Braid

final class ItemIDTests: XCTestCase {
    func test_given_valid_utf8_then_only_percent_is_escaped() {
        XCTAssertEqual(ItemID.escaping("photos/été.png"), "photos/été.png")
        XCTAssertEqual(ItemID.escaping("100%/x"), "100%25/x")
    }

    func test_given_invalid_bytes_then_each_becomes_percent_hex() {
        XCTAssertEqual(ItemID.escaping([0x61, 0xFF, 0x62]), "a%FFb")
        // A euro sign cut after two of its three bytes, then a valid "é".
        XCTAssertEqual(ItemID.escaping([0xE2, 0x82, 0xC3, 0xA9]), "%E2%82é")
        // An overlong encoding of "/" is invalid UTF-8 too.
        XCTAssertEqual(ItemID.escaping([0xC0, 0xAF]), "%C0%AF")
    }

    func test_given_any_bytes_then_escaping_round_trips() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let name = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                // Mostly ASCII and '%', some high bytes, so valid and invalid sequences both occur.
                [UInt8(ascii: "%"), UInt8(ascii: "a"), 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0x80].randomElement(
                    using: &generator)!
            }
            let id = ItemID.escaping(name)
            XCTAssertEqual(ItemID.bytes(of: id), name, "id \(id)")
        }
        XCTAssertNil(ItemID.bytes(of: "50%"))
    }
}
