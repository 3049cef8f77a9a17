import Foundation
import XCTest

@testable import Braid

/// CLIP's image preprocessing against transformers' `CLIPImageProcessor` with its PIL backend: shrinking and
/// enlarging, wide and tall, grey, alpha and JPEG inputs, at the tiny checkpoint's 32 px and OpenAI's 224 px.
final class CLIPImageProcessorTests: XCTestCase {
    func test_given_fixture_images_when_processed_then_pixels_equal_transformers_within_1e_5() throws {
        let reference = try CLIPReference.load()
        let tiny = try processor(
            JSONDecoder().decode(
                CLIPImageProcessorConfiguration.self,
                from: Data(contentsOf: CLIPReference.folder.appending(path: "preprocessor_config.json"))))
        let openAI = try processor(CLIPImageProcessorConfiguration())
        var checked224 = 0
        for row in reference.images {
            let image = try CLIPReference.image(row.path)
            try assertPixels(try tiny.pixelValues(image, encoder: "clip"), equal: row.pixels_32, side: 32)
            if let pixels224 = row.pixels_224 {
                try assertPixels(try openAI.pixelValues(image, encoder: "clip"), equal: pixels224, side: 224)
                checked224 += 1
            }
        }
        XCTAssertEqual(checked224, 2)
    }

    func test_output_size_follows_transformers_rounding_and_crop_offsets() throws {
        let openAI = try processor(CLIPImageProcessorConfiguration())
        // The long side is int(224 · long / short), truncated: 298.67, 336.34 and 522.67.
        XCTAssertTrue(openAI.resizedSize(height: 480, width: 640) == (224, 298))
        XCTAssertTrue(openAI.resizedSize(height: 500, width: 333) == (336, 224))
        XCTAssertTrue(openAI.resizedSize(height: 7, width: 3) == (522, 224))
    }

    func test_unsupported_filter_and_bad_sizes_are_refused_naming_the_file() throws {
        var configuration = CLIPImageProcessorConfiguration()
        configuration.resample = 1
        XCTAssertThrowsError(try CLIPImageProcessor(configuration: configuration, path: "p.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("p.json: unsupported: resample 1"), "\(error)")
        }
        configuration = CLIPImageProcessorConfiguration()
        configuration.cropSize = .exact(height: 0, width: 5)
        XCTAssertThrowsError(try CLIPImageProcessor(configuration: configuration, path: "p.json"))
    }

    func test_a_crop_larger_than_the_image_is_zero_padded_as_transformers_pads() throws {
        var configuration = CLIPImageProcessorConfiguration()
        configuration.doResize = false
        configuration.cropSize = .exact(height: 4, width: 4)
        configuration.imageMean = [0, 0, 0]
        configuration.imageStd = [1, 1, 1]
        let processor = try processor(configuration)
        // A 2×1 white image: the offsets are (1 − 4) // 2 = −2 rows and (2 − 4) // 2 = −1 column (transformers pads
        // ceil(3 / 2) = 2 rows above and 1 column left), so the two pixels land in row 2, columns 1 and 2.
        let image = Image(width: 2, height: 1, channels: 3, bytes: [UInt8](repeating: 255, count: 6))
        let pixels = try processor.pixelValues(image, encoder: "clip")
        let red = Array(pixels[0..<16])
        XCTAssertEqual(red, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0])
    }

    private func processor(_ configuration: CLIPImageProcessorConfiguration) throws -> CLIPImageProcessor {
        try CLIPImageProcessor(configuration: configuration, path: "preprocessor_config.json")
    }

    private func assertPixels(_ pixels: [Float], equal reference: String, side: Int, line: UInt = #line) throws {
        let relative = String(reference.dropFirst("Fixtures/".count))
        let expected = try NumPyFile(relative)
        XCTAssertEqual(expected.shape, [3, side, side], reference, line: line)
        XCTAssertEqual(pixels.count, expected.float32.count, reference, line: line)
        let worst = zip(pixels, expected.float32).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-5, reference, line: line)
    }
}
