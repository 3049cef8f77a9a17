import Foundation
import XCTest

@testable import Braid

final class FileWalkerTests: XCTestCase {
    private let names = [
        "a-b.txt", "a/x.txt", "a/b/c.png", "a.txt", "B.PNG", "z", "é.txt", "a b/space.wav", "a0/n.txt", "a/B/d.txt",
    ]

    func test_given_nested_folders_then_ids_follow_bytewise_path_order_like_c_locale_sort() async throws {
        let folder = try makeTemporaryFolder(self)
        for name in names { try writeFile(name, in: folder) }

        let elements = try await collect(ItemSource(.paths([folder.path])))

        // Independent reference: find lists the files, sort in the C locale orders them by bytes.
        let listing = try runProgram("/bin/sh", ["-c", "find . -type f | sed 's|^\\./||' | LC_ALL=C sort"], in: folder)
        let expected = String(decoding: listing, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(expected.count, names.count)
        XCTAssertEqual(elements.map(\.id), expected)
        XCTAssertEqual(
            try elements.first?.get(), Item(id: "B.PNG", source: .file(path: folder.path + "/B.PNG")))
    }

    func test_given_include_and_exclude_then_only_matching_extensions_pass_case_insensitively() async throws {
        let folder = try makeTemporaryFolder(self)
        for name in names { try writeFile(name, in: folder) }

        let pictures = try await collect(ItemSource(.paths([folder.path]), filter: ExtensionFilter(include: ["png"])))
        XCTAssertEqual(pictures.map(\.id), ["B.PNG", "a/b/c.png"])

        let noText = try await collect(
            ItemSource(.paths([folder.path]), filter: ExtensionFilter(include: [], exclude: [".TXT", ""])))
        XCTAssertEqual(noText.map(\.id), ["B.PNG", "a b/space.wav", "a/b/c.png"])
    }

    func test_given_a_file_argument_then_its_id_is_the_argument_and_the_filter_does_not_apply() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("notes.txt", in: folder)
        let path = folder.appendingPathComponent("notes.txt").path

        let elements = try await collect(ItemSource(.paths([path]), filter: ExtensionFilter(include: ["png"])))
        XCTAssertEqual(elements, [.success(Item(id: path, source: .file(path: path)))])
    }

    func test_given_a_link_back_to_an_enclosing_folder_then_the_walk_reports_it_once_and_ends() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("tree/leaf.txt", in: folder)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("tree/up").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("tree/self").path, withDestinationPath: "self")

        let elements = try await collect(ItemSource(.paths([folder.path])))
        XCTAssertEqual(elements.map(\.id), ["tree/leaf.txt", "tree/self", "tree/up"])
        guard case .failure(let ownLoop) = elements[1], case .failure(let upLoop) = elements[2] else {
            return XCTFail("both links should be failures: \(elements)")
        }
        XCTAssertTrue(ownLoop.message.contains("symbolic link loop"), ownLoop.message)
        XCTAssertTrue(upLoop.message.contains("symbolic link loop"), upLoop.message)
    }

    func test_given_a_link_to_a_sibling_folder_then_its_files_are_walked_under_the_link_name() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("real/one.txt", in: folder)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("alias").path, withDestinationPath: "real")

        let elements = try await collect(ItemSource(.paths([folder.path])))
        XCTAssertEqual(elements.map(\.id), ["alias/one.txt", "real/one.txt"])
    }

    func test_given_dangling_link_and_missing_argument_then_they_are_item_failures_and_the_walk_goes_on() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("a.txt", in: folder)
        try writeFile("c.txt", in: folder)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("b.txt").path, withDestinationPath: "nowhere")
        let missing = folder.appendingPathComponent("missing").path

        let elements = try await collect(ItemSource(.paths([folder.path, missing])))
        XCTAssertEqual(elements.map(\.id), ["a.txt", "b.txt", "c.txt", missing])
        XCTAssertEqual(try? elements[2].get().id, "c.txt")
        guard case .failure(let dangling) = elements[1], case .failure(let absent) = elements[3] else {
            return XCTFail("expected failures: \(elements)")
        }
        XCTAssertEqual(dangling.message, "dangling symbolic link")
        XCTAssertEqual(absent.message, "cannot read: No such file or directory")
    }

    func test_given_a_name_that_is_not_utf8_then_its_id_is_escaped_and_its_bytes_travel_in_memory() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("100%.txt", in: folder)
        let rawName: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".txt".utf8)  // Latin-1 "café.txt"
        let descriptor = open(cPath(Array(folder.path.utf8) + [UInt8(ascii: "/")] + rawName), O_CREAT | O_WRONLY, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(write(descriptor, "latin", 5), 5)
        close(descriptor)

        let elements = try await collect(ItemSource(.paths([folder.path])))
        XCTAssertEqual(elements.map(\.id), ["100%25.txt", "caf%E9.txt"])
        XCTAssertEqual(try elements[1].get().source, .bytes(Array("latin".utf8)))
        XCTAssertEqual(ItemID.bytes(of: elements[1].id), rawName)
    }

    func test_given_a_path_list_then_each_line_is_walked_in_turn() async throws {
        let folder = try makeTemporaryFolder(self)
        try writeFile("photos/b.png", in: folder)
        try writeFile("photos/a.png", in: folder)
        try writeFile("notes.txt", in: folder)
        let notes = folder.appendingPathComponent("notes.txt").path
        let photos = folder.appendingPathComponent("photos").path
        try writeFile("list", in: folder, contents: "\(notes)\r\n\n\(photos)\n")

        let elements = try await collect(ItemSource(.pathList(folder.appendingPathComponent("list").path)))
        XCTAssertEqual(elements.map(\.id), [notes, "a.png", "b.png"])
    }

    func test_given_a_missing_list_file_then_the_source_throws_naming_it() async throws {
        do {
            _ = try await collect(ItemSource(.lines("/nonexistent/list.txt")))
            XCTFail("a missing list file must stop the input")
        } catch let error as InputError {
            XCTAssertEqual(error.description, "/nonexistent/list.txt: cannot open: No such file or directory")
        }
    }
}
