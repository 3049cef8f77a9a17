import Foundation
import XCTest

@testable import Braid

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-input-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
}

/// Writes `contents` at `relativePath` under `folder`, creating folders on the way.
func writeFile(_ relativePath: String, in folder: URL, contents: String = "x") throws {
    let url = folder.appendingPathComponent(relativePath)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(contents.utf8).write(to: url)
}

/// Runs a program and returns its standard output; fails the test on a non-zero exit.
func runProgram(_ executable: String, _ arguments: [String], in folder: URL) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = folder
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "\(executable) \(arguments)")
    return data
}

/// All elements of a source.
func collect(_ source: ItemSource) async throws -> [Result<Item, ItemFailure>] {
    var elements: [Result<Item, ItemFailure>] = []
    for try await element in source { elements.append(element) }
    return elements
}
