import Braid
import XCTest

/// Braid's PNG decoder against Pillow's pixels for the PngSuite originals and the generated equivalents.
final class PNGDecoderTests: XCTestCase {
    let decoder = PNGDecoder()

    func test_every_png_fixture_decodes_to_the_reference_pixels() throws {
        let entries = Fixtures.entries("image")
        XCTAssertGreaterThan(entries.count, 100, "the PNG fixtures are missing")
        for entry in entries {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(entry.path))))
            let image = try decoder.decode(bytes, source: entry.path)
            let reference = try NumPyFile(try XCTUnwrap(entry.reference["uint8"], entry.path))
            XCTAssertEqual([image.height, image.width, image.channels], reference.shape, entry.path)
            XCTAssertEqual(image.samples, .uint8(reference.uint8), "\(entry.path): pixels differ from Pillow's")
        }
    }

    func test_header_fields_match_the_manifest() throws {
        for entry in Fixtures.entries("image") {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(entry.path))))
            let info = try decoder.info(bytes, source: entry.path)
            XCTAssertEqual(info.width, entry.expected["width"]?.int, entry.path)
            XCTAssertEqual(info.height, entry.expected["height"]?.int, entry.path)
            XCTAssertEqual(info.bitDepth, entry.expected["bit_depth"]?.int, entry.path)
            XCTAssertEqual(info.interlaced, entry.expected["interlaced"]?.bool, entry.path)
            XCTAssertEqual(info.channels, entry.expected["channels"]?.int, entry.path)
            XCTAssertEqual(
                info.colorType, entry.expected["colour_type"]?.int.flatMap(PNGInfo.ColorType.init(code:)), entry.path)
            XCTAssertEqual(info.hasTransparency, entry.expected["has_trns"]?.bool ?? false, entry.path)
        }
    }

    func test_sixteen_bit_files_keep_full_precision_as_floats() throws {
        let sixteen = Fixtures.entries("image").filter { $0.reference["uint16"] != nil }
        XCTAssertFalse(sixteen.isEmpty, "no 16-bit fixtures")
        for entry in sixteen {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(entry.path))))
            let image = try decoder.decode(bytes, as: .float32, source: entry.path)
            let reference = try NumPyFile(entry.reference["uint16"]!).uint16.map { Float($0) / 65535 }
            guard case .float32(let floats) = image.samples else { return XCTFail("\(entry.path): not float") }
            XCTAssertEqual(floats.count, reference.count, entry.path)
            XCTAssertEqual(zip(floats, reference).map { abs($0 - $1) }.max() ?? 0, 0, accuracy: 1e-7, entry.path)
        }
    }

    func test_a_header_over_the_pixel_limit_is_refused_before_decoding() throws {
        let entry = try XCTUnwrap(Fixtures.entries("image").first { $0.expected["width"]?.int == 32 })
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(entry.path))))
        XCTAssertThrowsError(try PNGDecoder(maxPixels: 1000).decode(bytes, source: "big.png")) { error in
            guard case .tooLarge = (error as? DecodeError)?.reason else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasPrefix("big.png: too large"), "\(error)")
        }
    }
}
