import Foundation
import XCTest

@testable import Braid

final class ImageFeaturesEncoderTests: XCTestCase {
    private let encoder = ImageFeaturesEncoder()
    private typealias Support = EncodeTestSupport

    private func embed(_ image: Image) throws -> [Float] {
        try encoder.encode(.image(image))
    }

    func test_given_cropped_and_resized_copy_then_it_scores_higher_than_a_different_image() throws {
        let original = try embed(Support.render(width: 240, height: 180, Support.landscape))
        // The central 80 % of the same scene at about half the resolution.
        let crop = try embed(
            Support.render(width: 100, height: 75, left: 0.1, top: 0.075, span: 0.8, Support.landscape))
        let different = try embed(Support.render(width: 240, height: 180, Support.checkerboard))
        let close = Support.cosine(original, crop)
        let far = Support.cosine(original, different)
        XCTAssertGreaterThan(close, 0.85)
        XCTAssertLessThan(far, 0.5)
    }

    func test_given_images_then_vectors_are_unit_length_deterministic_and_match_stored_values() throws {
        let image = Support.render(width: 240, height: 180, Support.landscape)
        let vector = try embed(image)
        XCTAssertEqual(vector.count, 273)
        XCTAssertEqual(Support.length(vector), 1, accuracy: 1e-5)
        XCTAssertEqual(try embed(image), vector)
        // Computed once by this encoder (its recipe is fixed by the doc comment): a change here changes every
        // stored embedding, so it must be deliberate. 1e-5 allows for libm's atan2 differing by an ulp.
        let stored: [Int: Float] = [
            0: 0, 15: 0.1607005, 42: 0.3402069, 75: 0.4254287,  // colour
            150: 0.097057305, 186: 0.27370682, 204: 0.2675337,  // edges
            240: 0.028753003, 272: -0.06360357,  // layout
        ]
        for (index, value) in stored {
            XCTAssertEqual(vector[index], value, accuracy: 1e-5, "value \(index)")
        }
    }

    func test_given_same_picture_as_bytes_or_floats_then_vectors_agree() throws {
        let bytes = Support.render(width: 64, height: 48, Support.landscape)
        guard case .uint8(let samples) = bytes.samples else { return XCTFail("render makes 8-bit images") }
        let floats = Image(width: 64, height: 48, channels: 3, samples: .float32(samples.map { Float($0) / 255 }))
        let fromBytes = try embed(bytes)
        let fromFloats = try embed(floats)
        for index in fromBytes.indices {
            XCTAssertEqual(fromBytes[index], fromFloats[index], accuracy: 1e-5, "value \(index)")
        }
    }

    func test_given_grey_and_alpha_layouts_then_they_embed_like_their_rgb_equivalent() throws {
        let width = 40
        let height = 30
        let grey = (0..<(width * height)).map { UInt8(($0 * 7 + $0 / width * 13) % 256) }
        let rgb = grey.flatMap { [$0, $0, $0] }
        let expected = try embed(Image(width: width, height: height, channels: 3, bytes: rgb))
        XCTAssertEqual(try embed(Image(width: width, height: height, channels: 1, bytes: grey)), expected)
        XCTAssertEqual(
            try embed(Image(width: width, height: height, channels: 2, bytes: grey.flatMap { [$0, 17] })), expected)
        XCTAssertEqual(
            try embed(Image(width: width, height: height, channels: 4, bytes: grey.flatMap { [$0, $0, $0, 99] })),
            expected)
    }

    func test_given_large_image_then_it_embeds_like_its_downscaled_copy() throws {
        // Shrinking to the 128-pixel working size first makes resolution matter little.
        let large = try embed(Support.render(width: 1024, height: 768, Support.landscape))
        let small = try embed(Support.render(width: 128, height: 96, Support.landscape))
        XCTAssertGreaterThan(Support.cosine(large, small), 0.97)
    }

    func test_given_tiny_and_flat_images_then_vectors_are_finite_and_unit_length() throws {
        let cases = [
            Image(width: 1, height: 1, channels: 3, bytes: [200, 10, 10]),
            Image(width: 3, height: 2, channels: 1, bytes: [0, 255, 0, 255, 0, 255]),
            Image(width: 50, height: 50, channels: 3, bytes: [UInt8](repeating: 128, count: 7500)),
            Image(width: 2, height: 2, channels: 1, samples: .float32([.nan, 2, -1, 0.5])),
        ]
        for image in cases {
            let vector = try embed(image)
            XCTAssertTrue(vector.allSatisfy(\.isFinite), "\(image.width)×\(image.height)")
            XCTAssertEqual(Support.length(vector), 1, accuracy: 1e-5, "\(image.width)×\(image.height)")
        }
    }

    func test_given_empty_or_short_image_then_encode_throws() {
        XCTAssertThrowsError(try embed(Image(width: 0, height: 5, channels: 3, bytes: []))) { error in
            XCTAssertEqual(error as? EncodeError, .nothingToEncode(encoder: "features", reason: "the image is 0×5"))
        }
        XCTAssertThrowsError(try embed(Image(width: 4, height: 4, channels: 3, bytes: [1, 2, 3]))) { error in
            XCTAssertEqual(
                error as? EncodeError,
                .malformedInput(encoder: "features", reason: "a 4×4×3 image holds 3 samples, not 48"))
        }
        let absurd = Image(width: Int.max / 2, height: 3, channels: 3, bytes: [1, 2, 3])
        XCTAssertThrowsError(try embed(absurd)) { error in
            XCTAssertEqual(
                error as? EncodeError,
                .malformedInput(
                    encoder: "features",
                    reason: "a \(Int.max / 2)×3×3 image holds 3 samples, not more than fit in memory"))
        }
    }
}
