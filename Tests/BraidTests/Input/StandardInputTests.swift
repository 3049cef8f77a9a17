import Foundation
import XCTest

@testable import Braid

/// `-` forms read file descriptor 0; each test puts a pipe there for its duration.
final class StandardInputTests: XCTestCase {
    private func withStandardInput<Result>(_ bytes: [UInt8], _ body: () async throws -> Result) async throws -> Result {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        XCTAssertEqual(write(ends[1], bytes, bytes.count), bytes.count)
        close(ends[1])
        let saved = dup(STDIN_FILENO)
        dup2(ends[0], STDIN_FILENO)
        close(ends[0])
        defer {
            dup2(saved, STDIN_FILENO)
            close(saved)
        }
        return try await body()
    }

    func test_given_dash_among_paths_then_stdin_is_one_item_named_stdin_in_argument_order() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("a.txt", in: folder)
        let file = folder.appendingPathComponent("a.txt").path
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 1, 2]

        let (elements, streamed) = try await withStandardInput(png) {
            let elements = try await collect(ItemSource(.paths(["-", file])))
            guard case .success(let first) = elements.first, case .stream(let stream) = first.source else {
                return (elements, [UInt8]())
            }
            return (elements, try stream.read(upTo: 1 << 20))
        }
        XCTAssertEqual(elements.map(\.id), ["stdin", file])
        XCTAssertEqual(streamed, png, "stdin reaches its decoder as a stream of its bytes")
        XCTAssertEqual(elements.last, .success(Item(id: file, source: .file(path: file))))
    }

    func test_given_lines_on_stdin_then_they_are_read_like_a_file() async throws {
        let elements = try await withStandardInput(Array("one\ntwo\n".utf8)) {
            try await collect(ItemSource(.lines("-")))
        }
        XCTAssertEqual(
            elements, [.success(Item(id: "1", source: .text("one"))), .success(Item(id: "2", source: .text("two")))])
    }
}
