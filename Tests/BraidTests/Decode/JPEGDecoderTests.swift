import Foundation
import XCTest

@testable import Braid

/// Braid's JPEG decoder against Pillow's pixels after `ImageOps.exif_transpose` (`scripts/make-photo-fixtures.py`):
/// chroma subsamplings, grey, progressive, restart markers, odd and 1×1 sizes, CMYK and the eight orientations;
/// damaged files fail naming the file.
final class JPEGDecoderTests: XCTestCase {
    private let decoder = JPEGDecoder()

    private func fixtures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("jpeg")).filter { $0.hasSuffix(".jpg") }
            .sorted()
    }

    private func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(relative))))
    }

    func test_every_jpeg_fixture_decodes_to_pillows_pixels_the_right_way_up() throws {
        let names = try fixtures()
        XCTAssertEqual(names.count, 17, "the JPEG fixtures are missing")
        for name in names {
            let image = try decoder.decode(try bytes("jpeg/\(name)"), source: name)
            // Pillow bundles another libjpeg-turbo release than Debian's; the issue allows a difference of 1.
            try assertPixels(image, equal: "reference/jpeg/\(name.dropLast(4)).npy", within: 1)
        }
    }

    /// Every `NAME.scale-N.npy`: Pillow's `draft` decode at 1/N, turned, against Braid's reduced decode.
    func test_reduced_decoding_equals_pillows_draft_mode() throws {
        let references = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("reference/jpeg"))
            .filter { $0.contains(".scale-") }.sorted()
        XCTAssertEqual(references.count, 51, "the reduced references are missing")
        for reference in references {
            let parts = reference.split(separator: ".")
            let (name, reduction) = (String(parts[0]), try XCTUnwrap(Int(parts[1].dropFirst("scale-".count))))
            let image = try decoder.decode(try bytes("jpeg/\(name).jpg"), reduction: reduction, source: name)
            try assertPixels(image, equal: "reference/jpeg/\(reference)", within: 1)
        }
    }

    func test_the_reduction_keeps_both_sides_at_least_the_minimum() throws {
        XCTAssertEqual(JPEGDecoder.reduction(width: 4032, height: 3024, minimumSide: 224), 8)
        XCTAssertEqual(JPEGDecoder.reduction(width: 1000, height: 800, minimumSide: 224), 2, "800 / 224 = 3: 1/2")
        XCTAssertEqual(JPEGDecoder.reduction(width: 4000, height: 200, minimumSide: 128), 1, "a strip keeps its height")
        XCTAssertEqual(JPEGDecoder.reduction(width: 4000, height: 3000, minimumSide: nil), 1)
        let photo = JPEGDecoder(minimumSide: 10)
        let image = try photo.decode(try bytes("jpeg/orientation-6.jpg"), source: "orientation-6.jpg")
        // 30×20 stored, 20 / 10 = 2: decoded at 15×10, then turned upright.
        XCTAssertEqual([image.width, image.height], [10, 15])
        var options = MediaDecoder.Options()
        options.minimumImageSide = 10
        let media = try MediaDecoder(options: options).decode(
            Item(id: "photo", source: .bytes(try bytes("jpeg/subsampling-420.jpg"))))
        guard case .image(let reduced) = media else { return XCTFail("not an image") }
        XCTAssertEqual([reduced.width, reduced.height], [20, 12], "40×24 at 1/2")
    }

    func test_orientation_is_reported_and_turns_the_sides() throws {
        for orientation in ExifOrientation.allCases {
            let name = "orientation-\(orientation.rawValue).jpg"
            let info = try decoder.info(try bytes("jpeg/\(name)"), source: name)
            XCTAssertEqual(info.orientation, orientation)
            XCTAssertEqual([info.width, info.height], [30, 20], "probe reports the stored size")
            let image = try decoder.decode(try bytes("jpeg/\(name)"), source: name)
            XCTAssertEqual(image.orientation, orientation)
            XCTAssertEqual(Media.image(image).meta["exif_orientation"], .integer(orientation.rawValue), "meta records it")
            XCTAssertEqual([image.width, image.height], orientation.swapsSides ? [20, 30] : [30, 20], name)
        }
        XCTAssertNil(try decoder.info(try bytes("jpeg/grey.jpg"), source: "grey.jpg").orientation)
    }

    func test_jpeg_is_sniffed_by_its_bytes_and_decoded_through_the_media_decoder() throws {
        let media = try MediaDecoder().decode(Item(id: "stdin", source: .bytes(try bytes("jpeg/subsampling-420.jpg"))))
        guard case .image(let image) = media else { return XCTFail("not an image") }
        XCTAssertEqual([image.width, image.height, image.channels], [40, 24, 3])
    }

    func test_damaged_files_are_errors_naming_the_file() throws {
        XCTAssertThrowsError(try decoder.decode(try bytes("jpeg/corrupt/truncated.jpg"), source: "truncated.jpg")) {
            error in
            XCTAssertEqual((error as? DecodeError)?.source, "truncated.jpg")
            guard case .truncated = (error as? DecodeError)?.reason else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(
            try decoder.decode(try bytes("jpeg/corrupt/bad-huffman-table.jpg"), source: "bad-huffman-table.jpg")
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad-huffman-table.jpg: corrupt: libjpeg: "), "\(error)")
        }
    }

    func test_a_header_claiming_65500_by_65500_is_refused_before_allocating() throws {
        var data = try bytes("jpeg/subsampling-444.jpg")
        // The SOF0 segment: FF C0, length, precision, then height and width, big-endian.
        let sof = try XCTUnwrap((0..<data.count - 1).first { data[$0] == 0xFF && data[$0 + 1] == 0xC0 })
        for offset in [sof + 5, sof + 7] {
            data[offset] = 0xFF
            data[offset + 1] = 0xDC
        }
        XCTAssertThrowsError(try decoder.decode(data, source: "huge.jpg")) { error in
            guard case .tooLarge = (error as? DecodeError)?.reason else { return XCTFail("\(error)") }
        }
    }
}
