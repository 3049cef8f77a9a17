import Foundation
import XCTest

@testable import Braid

/// `Fixtures/reference/clip/tiny.json`: what transformers' `CLIPModel`, `CLIPTokenizer` and `CLIPImageProcessor`
/// give for the tiny seeded checkpoint in `Fixtures/clip/tiny` (scripts/make-clip-fixtures.py).
struct CLIPReference: Decodable {
    struct TextRow: Decodable {
        let text: String
        let input_ids: [Int32]
        let embedding: [Float]
    }

    struct ImageRow: Decodable {
        let path: String
        let pixels_32: String
        let pixels_224: String?
        let embedding: [Float]
    }

    struct ZeroShot: Decodable {
        let labels: [String]
        let template: String
        let probabilities: [[Float]]
    }

    let logit_scale: Float
    let texts: [TextRow]
    let images: [ImageRow]
    let zero_shot: ZeroShot

    static let folder = Fixtures.root.appending(path: "clip/tiny")

    static func load() throws -> CLIPReference {
        try JSONDecoder().decode(
            CLIPReference.self, from: Data(contentsOf: Fixtures.root.appending(path: "reference/clip/tiny.json")))
    }

    /// A fixture image decoded as `braid embed` decodes it; `path` is relative to the package root.
    static func image(_ path: String) throws -> Image {
        let file = Fixtures.root.deletingLastPathComponent().appending(path: path).path
        guard case .image(let image) = try MediaDecoder(options: EmbedJob.defaultDecoding).decode(
            Item(id: path, source: .file(path: file)))
        else { throw XCTSkip("\(path) did not decode to an image") }
        return image
    }
}
