import Foundation
import XCTest

@testable import Braid

/// Braid's WebP decoder against Pillow's pixels (`scripts/make-photo-fixtures.py`): lossy, lossless, alpha in
/// both, odd and 1×1 sizes, an animation's first frame; damaged files fail naming the file.
final class WebPDecoderTests: XCTestCase {
    private let decoder = WebPDecoder()

    private func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(relative))))
    }

    func test_every_webp_fixture_decodes_to_pillows_pixels() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("webp"))
            .filter { $0.hasSuffix(".webp") }.sorted()
        XCTAssertEqual(names.count, 7, "the WebP fixtures are missing")
        for name in names {
            let image = try decoder.decode(try bytes("webp/\(name)"), source: name)
            // Pillow bundles libwebp 1.6, Debian 12 has 1.2.4; lossy decoding may round differently by 1.
            try assertPixels(
                image, equal: "reference/webp/\(name.dropLast(5)).npy", within: name.contains("lossless") ? 0 : 1)
        }
    }

    func test_probe_and_meta_say_what_the_file_is() throws {
        let still = try decoder.info(try bytes("webp/alpha-lossy.webp"), source: "alpha-lossy.webp")
        XCTAssertEqual(
            still,
            WebPInfo(
                width: 40, height: 24, compression: "lossy", hasAlpha: true, animated: false, frameCount: 1,
                channels: 4))
        XCTAssertEqual(try decoder.info(try bytes("webp/lossless.webp"), source: "lossless.webp").compression, "lossless")
        let animation = try decoder.info(try bytes("webp/animated.webp"), source: "animated.webp")
        XCTAssertEqual([animation.frameCount, animation.width, animation.height], [3, 40, 24])
        XCTAssertTrue(animation.animated)
        let media = try MediaDecoder().decode(Item(id: "stdin", source: .bytes(try bytes("webp/animated.webp"))))
        XCTAssertEqual(media.meta["animated"], .bool(true), "sniffed by its bytes, and meta says it is a first frame")
        XCTAssertEqual(media.meta["animation_frames"], .integer(3))
        XCTAssertNil(Media.image(try decoder.decode(try bytes("webp/lossy.webp"), source: "lossy.webp")).meta["animated"])
    }

    func test_damaged_files_are_errors_naming_the_file() throws {
        let expected: [(file: String, reason: String)] = [
            ("truncated.webp", "truncated"), ("lying-chunk-size.webp", "truncated"), ("garbage-frame.webp", "corrupt"),
        ]
        for (file, reason) in expected {
            XCTAssertThrowsError(try decoder.decode(try bytes("webp/corrupt/\(file)"), source: file)) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(file): \(reason): libwebp: "), "\(error)")
            }
        }
    }

    func test_a_header_claiming_16384_by_16384_is_refused_before_allocating() throws {
        var data = try bytes("webp/lossless.webp")
        // The VP8L chunk (at byte 12): tag, size, the signature 0x2F, then width − 1 and height − 1 in 14 bits each,
        // little-endian, followed by the alpha bit and the version.
        XCTAssertEqual(Array(data[12..<16]), Array("VP8L".utf8))
        let header = data[21..<25].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        let huge = header & ~0x0FFF_FFFF | 16383 | 16383 << 14
        data[21..<25] = [UInt8(huge & 0xFF), UInt8(huge >> 8 & 0xFF), UInt8(huge >> 16 & 0xFF), UInt8(huge >> 24)]
        XCTAssertEqual(try decoder.info(data, source: "huge.webp").width, 16384)
        XCTAssertThrowsError(try decoder.decode(data, source: "huge.webp")) { error in
            XCTAssertEqual("\(error)", "huge.webp: too large: 16384×16384 pixels are over the limit of 100000000 (--max-pixels)")
        }
    }
}
