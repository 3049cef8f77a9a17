import Foundation
import XCTest

@testable import Braid

/// `--idx`: MNIST's IDX files, gzip or not, as labelled grey images.
final class IDXRecordsTests: XCTestCase {
    /// An IDX file: the magic (type 0x08), big-endian dimensions, then the bytes.
    private func idx(_ dimensions: [Int], _ values: [UInt8], type: UInt8 = 0x08) -> Data {
        var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
        for dimension in dimensions { bytes += withUnsafeBytes(of: UInt32(dimension).bigEndian, Array.init) }
        return Data(bytes + values)
    }

    private func writeDigits(in folder: URL, gzip: Bool) throws -> String {
        let images = folder.appendingPathComponent("train-images-idx3-ubyte")
        let labels = folder.appendingPathComponent("train-labels-idx1-ubyte")
        try idx([3, 2, 3], Array(0..<18)).write(to: images)
        try idx([3], [7, 0, 9]).write(to: labels)
        guard gzip else { return images.path }
        _ = try runProgram("/bin/gzip", [images.lastPathComponent, labels.lastPathComponent], in: folder)
        return images.path + ".gz"
    }

    func testReadsImagesAndLabelsPlainAndGzipped() async throws {
        for gzip in [false, true] {
            let folder = try makeTemporaryFolder(self)
            let path = try writeDigits(in: folder, gzip: gzip)
            let name = URL(fileURLWithPath: path).lastPathComponent
            let elements = try await collect(ItemSource(.idx(images: path, labels: nil)))
            let items = elements.compactMap { try? $0.get() }
            XCTAssertEqual(items.map(\.id), ["\(name)#0", "\(name)#1", "\(name)#2"])
            XCTAssertEqual(items.map(\.label), ["7", "0", "9"], "labels from the labels file named like the images")
            XCTAssertEqual(
                items[1].source, .decoded(.image(Image(width: 3, height: 2, channels: 1, bytes: Array(6..<12)))))
            let decoded = try MediaDecoder().decode(items[2])
            XCTAssertEqual(decoded, .image(Image(width: 3, height: 2, channels: 1, bytes: Array(12..<18))))
            XCTAssertTrue(IDXFile.isIDX(path))
        }
    }

    func testWithoutALabelsFileItemsHaveNoLabel() async throws {
        let folder = try makeTemporaryFolder(self)
        let images = folder.appendingPathComponent("digits.idx")
        try idx([2, 1, 1], [1, 2]).write(to: images)
        let items = try await collect(ItemSource(.idx(images: images.path, labels: nil))).compactMap { try? $0.get() }
        XCTAssertEqual(items.map(\.label), [nil, nil])
    }

    func testMalformedFilesAreErrorsNamingTheFile() async throws {
        let folder = try makeTemporaryFolder(self)
        let cases: [(String, Data, String)] = [
            ("png-not-idx", Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0]), "not an IDX file"),
            ("floats.idx", idx([1, 1, 1], [0, 0, 0, 0], type: 0x0D), "unsupported IDX value type 0x"),
            ("vector.idx", idx([4], [1, 2, 3, 4]), "must have 3 dimensions"),
            ("short.idx", idx([3, 2, 2], Array(repeating: 1, count: 9)), "truncated"),
            ("headless.idx", Data([0, 0, 8, 3, 0, 0]), "truncated"),
        ]
        for (name, contents, expected) in cases {
            let file = folder.appendingPathComponent(name)
            try contents.write(to: file)
            do {
                _ = try await collect(ItemSource(.idx(images: file.path, labels: nil)))
                XCTFail("\(name) was read")
            } catch let error as InputError {
                XCTAssertEqual(error.file, file.path, name)
                XCTAssertTrue(error.problem.contains(expected), "\(name): \(error.problem)")
            }
        }
    }

    func testLabelsThatDoNotMatchTheImagesAreRefused() async throws {
        let folder = try makeTemporaryFolder(self)
        let images = folder.appendingPathComponent("images.idx")
        let labels = folder.appendingPathComponent("labels.idx")
        try idx([2, 1, 1], [1, 2]).write(to: images)
        try idx([3], [1, 2, 3]).write(to: labels)
        do {
            _ = try await collect(ItemSource(.idx(images: images.path, labels: labels.path)))
            XCTFail("mismatched labels were read")
        } catch let error as InputError {
            XCTAssertEqual(error.file, labels.path)
            XCTAssertTrue(error.problem.contains("do not label 2 images"), error.problem)
        }
    }
}
