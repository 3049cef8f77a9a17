import XCTest

@testable import Braid

/// Asserts that an 8-bit image has the shape (H × W × C) of a reference `.npy` under `Fixtures/` and that no
/// sample differs from it by more than `tolerance`.
func assertPixels(
    _ image: Image, equal reference: String, within tolerance: Int, file: StaticString = #filePath, line: UInt = #line
) throws {
    let expected = try NumPyFile(reference)
    XCTAssertEqual([image.height, image.width, image.channels], expected.shape, reference, file: file, line: line)
    guard case .uint8(let pixels) = image.samples else {
        return XCTFail("\(reference): the image is not 8-bit", file: file, line: line)
    }
    let worst = zip(pixels, expected.uint8).map { abs(Int($0) - Int($1)) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "\(reference): pixels differ by \(worst)", file: file, line: line)
}
