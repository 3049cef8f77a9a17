import Foundation
import XCTest

@testable import Braid

/// Archives are made by /usr/bin/tar (GNU tar), the independent writer, in each format Braid claims to read.
final class TarReaderTests: XCTestCase {
    private let longName = String(repeating: "d", count: 70) + "/" + String(repeating: "e", count: 90) + ".txt"

    private func makeTree() throws -> URL {
        let folder = try makeTemporaryFolder(self)
        try writeFile("tree/short.txt", in: folder, contents: "short")
        try writeFile("tree/" + longName, in: folder, contents: "long")
        try writeFile("tree/empty.txt", in: folder, contents: "")
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("tree/link").path, withDestinationPath: "short.txt")
        try writeFile("outside.txt", in: folder, contents: "escaped")
        return folder
    }

    /// Reads a tar stream from `tar`'s stdout through a pipe, as `--tar -` reads stdin.
    private func readStream(_ arguments: [String], in folder: URL) throws -> [Result<Item, ItemFailure>] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var tar = TarReader(reader: ByteReader(descriptor: pipe.fileHandleForReading.fileDescriptor, name: "-"))
        var elements: [Result<Item, ItemFailure>] = []
        while let element = try tar.next() { elements.append(element) }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return elements
    }

    private func assertMembers(format: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = try makeTree()
        let elements = try readStream(
            ["-c", "--format=\(format)", "-f", "-", "-C", "tree", "short.txt", longName, "empty.txt", "link"],
            in: folder)
        XCTAssertEqual(elements.count, 4, file: file, line: line)
        XCTAssertEqual(
            try elements[0].get(), Item(id: "short.txt", source: .bytes(Array("short".utf8))), file: file, line: line)
        XCTAssertEqual(
            try elements[1].get(), Item(id: longName, source: .bytes(Array("long".utf8))), file: file, line: line)
        XCTAssertEqual(try elements[2].get(), Item(id: "empty.txt", source: .bytes([])), file: file, line: line)
        XCTAssertEqual(
            elements[3],
            .failure(ItemFailure(id: "link", message: "tar member is a symbolic link, not a regular file")),
            file: file, line: line)
    }

    func test_given_gnu_tar_with_long_names_then_members_come_in_order_with_their_bytes() throws {
        try assertMembers(format: "gnu")
    }

    func test_given_pax_tar_then_the_extended_path_names_the_member() throws {
        try assertMembers(format: "pax")
    }

    func test_given_ustar_then_prefix_and_name_are_joined() throws {
        try assertMembers(format: "ustar")
    }

    func test_given_parent_and_absolute_members_then_they_fail_alone_and_later_members_still_come() throws {
        let folder = try makeTree()
        let inside = folder.appendingPathComponent("tree")
        let absolute = folder.appendingPathComponent("outside.txt").path
        // -P keeps "../" and leading "/" in member names, as a hostile archive would have them.
        let elements = try readStream(["-c", "-P", "-f", "-", "../outside.txt", absolute, "short.txt"], in: inside)

        XCTAssertEqual(
            elements,
            [
                .failure(ItemFailure(id: "../outside.txt", message: "tar member name leaves the archive with '..'")),
                .failure(ItemFailure(id: absolute, message: "tar member has an absolute name")),
                .success(Item(id: "short.txt", source: .bytes(Array("short".utf8)))),
            ])
    }

    func test_given_a_folder_archive_then_folders_are_skipped_and_dot_slash_is_dropped() throws {
        let folder = try makeTree()
        let elements = try readStream(["-c", "-f", "-", "-C", "tree", "--sort=name", "."], in: folder)
        XCTAssertEqual(elements.map(\.id), [longName, "empty.txt", "link", "short.txt"])
    }

    func test_given_an_extension_filter_then_rejected_members_are_skipped_silently() async throws {
        let folder = try makeTree()
        let archive = folder.appendingPathComponent("tree.tar")
        _ = try runProgram(
            "/usr/bin/tar", ["-c", "-f", archive.path, "-C", "tree", "short.txt", "link", "empty.txt"], in: folder)

        // The link has no extension, so it is skipped rather than reported as a link.
        let elements = try await collect(ItemSource(.tar(archive.path), filter: ExtensionFilter(include: ["TXT"])))
        XCTAssertEqual(elements.map(\.id), ["short.txt", "empty.txt"])
    }

    func test_given_a_truncated_stream_then_the_input_fails_naming_the_problem() throws {
        let folder = try makeTree()
        let archive = try runProgram("/usr/bin/tar", ["-c", "-f", "-", "-C", "tree", "short.txt"], in: folder)
        let cut = folder.appendingPathComponent("cut.tar")
        try archive.prefix(512 + 3).write(to: cut)  // the header and 3 of the 5 body bytes

        var tar = TarReader(reader: try ByteReader(path: cut.path))
        XCTAssertThrowsError(try tar.next()) { error in
            XCTAssertEqual(
                error as? InputError, InputError(file: cut.path, problem: "tar: stream ends inside a member of 5 bytes")
            )
        }
    }

    func test_given_a_corrupted_header_then_the_checksum_mismatch_stops_the_input() throws {
        let folder = try makeTree()
        var archive = [UInt8](try runProgram("/usr/bin/tar", ["-c", "-f", "-", "-C", "tree", "short.txt"], in: folder))
        archive[0] = UInt8(ascii: "S")
        let broken = folder.appendingPathComponent("broken.tar")
        try Data(archive).write(to: broken)

        var tar = TarReader(reader: try ByteReader(path: broken.path))
        XCTAssertThrowsError(try tar.next()) { error in
            XCTAssertEqual(
                error as? InputError, InputError(file: broken.path, problem: "tar: bad header checksum at byte 0"))
        }
    }
}
