import Foundation
import XCTest

@testable import Braid

/// Width, height and channels of the image at `url`, as Braid's own decoder reads it back.
func decodedSize(_ url: URL) throws -> [Int] {
    guard case .image(let image) = try MediaDecoder().decode(Item(id: url.path, source: .file(path: url.path))) else {
        XCTFail("\(url.path) is not an image")
        return []
    }
    return [image.width, image.height, image.channels]
}
