import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// Writes `image` as a PNG at `relativePath` under `folder`.
func writePNG(_ image: Image, _ relativePath: String, in folder: URL) throws {
    let url = folder.appendingPathComponent(relativePath)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(try PNGEncoder.encode(image)).write(to: url)
}

/// A 28×28 grey image, dark background, with a bright bar: horizontal for class `h`, vertical for `v`, at a seeded
/// position. Two classes any small network tells apart within an epoch or two.
func barImage(horizontal: Bool, seed: UInt64) -> Image {
    var rng = SeededRNG(seed: seed)
    let position = 6 + Int(rng.next() % 16)
    let (start, length) = (4 + Int(rng.next() % 6), 12 + Int(rng.next() % 8))
    var pixels = [UInt8](repeating: 0, count: 28 * 28)
    for along in start..<min(28, start + length) {
        for across in position..<position + 3 {
            pixels[horizontal ? across * 28 + along : along * 28 + across] = 200 + UInt8(rng.next() % 56)
        }
    }
    return Image(width: 28, height: 28, channels: 1, bytes: pixels)
}

/// A folder with one subfolder per class (`h/`, `v/`) of `perClass` bar images each.
func writeBarDataset(in folder: URL, perClass: Int) throws {
    for index in 0..<perClass {
        try writePNG(barImage(horizontal: true, seed: UInt64(2 * index)), "h/\(index).png", in: folder)
        try writePNG(barImage(horizontal: false, seed: UInt64(2 * index + 1)), "v/\(index).png", in: folder)
    }
}

/// A JSONL writer into a file of `folder`, and a way to read back what it got.
func errorLog(in folder: URL) throws -> (writer: JSONLWriter, lines: () -> [String]) {
    let path = folder.appendingPathComponent("errors.jsonl").path
    let writer = try JSONLWriter(appendingTo: path)
    return (
        writer, { (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [] }
    )
}
