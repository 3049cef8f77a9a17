import Foundation
import XCTest

/// The built `braid` executable, run as a user runs it.
struct BraidProcess {
    struct Result {
        let status: Int32
        let stdout: Data
        let stderr: Data

        var stdoutLines: [String] { String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// The package root, where `Fixtures/` and `pipelines/` are.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `braid` sits in the build products folder, beside the test bundle (macOS) or the test executable (Linux).
    static let executable: URL = {
        let products =
            [Bundle.main.bundleURL]
            + Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }.map {
                $0.bundleURL.deletingLastPathComponent()
            }
        let candidates = products.map { $0.appendingPathComponent("braid") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    let process = Process()
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()

    /// A write to the stdin of a `braid` that already exited must fail with EPIPE, not kill the test runner.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// - Parameter executable: `braid`, or another program the tests drive the same way.
    init(
        _ arguments: [String], directory: URL = BraidProcess.packageRoot, environment: [String: String] = [:],
        executable: URL = BraidProcess.executable
    ) {
        Self.ignoreBrokenPipes
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
    }

    /// Starts `braid` `rounds` times and kills each run with SIGKILL after a random 0.05-0.4 s: the crash-safety
    /// tests of `--resume`, `--db` and `--npy` then check what the runs left.
    static func killRepeatedly(_ arguments: [String], rounds: Int) throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<rounds {
            let braid = BraidProcess(arguments)
            try braid.process.run()
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.4, using: &generator))
            kill(braid.process.processIdentifier, SIGKILL)
            braid.process.waitUntilExit()
        }
    }

    /// Runs to the end, feeding `input` on stdin, and collects both outputs.
    static func run(
        _ arguments: [String], input: Data = Data(), directory: URL = BraidProcess.packageRoot,
        executable: URL = BraidProcess.executable
    ) throws -> Result {
        let braid = BraidProcess(arguments, directory: directory, executable: executable)
        try braid.process.run()
        let collected = braid.collectOutputs()
        braid.stdin.fileHandleForWriting.write(input)
        try braid.stdin.fileHandleForWriting.close()
        braid.process.waitUntilExit()
        let (out, err) = collected()
        return Result(status: braid.process.terminationStatus, stdout: out, stderr: err)
    }

    /// Reads stdout and stderr on their own threads, so a full pipe never stalls the process.
    func collectOutputs() -> () -> (Data, Data) {
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data()
        nonisolated(unsafe) var err = Data()
        group.enter()
        Thread.detachNewThread {
            out = stdout.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        Thread.detachNewThread {
            err = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        return {
            group.wait()
            return (out, err)
        }
    }
}

/// A scratch folder removed when the test ends.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("braid-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `count` short text files with distinct contents; returns their names, sorted.
    func writeTexts(_ count: Int, in subfolder: String = "texts") throws -> [String] {
        let folder = url.appendingPathComponent(subfolder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let names = (0..<count).map { String(format: "t%05d.txt", $0) }
        for (index, name) in names.enumerated() {
            try Data("note \(index): the \(index % 7) quick foxes jump over \(index % 11) lazy dogs".utf8)
                .write(to: folder.appendingPathComponent(name))
        }
        return names
    }
}

/// The JSON object of one output line.
func jsonObject(_ line: String) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
}

/// The floats of an `--embedding-format base64` vector, decoded here byte by byte rather than by Braid's reader.
func base64Floats(_ value: Any?) throws -> [Float] {
    let bytes = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(value as? String)))
    return stride(from: 0, to: bytes.count, by: 4).map { offset in
        Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) })
    }
}

func cosine(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map(*).reduce(0, +) / (sqrt(a.map { $0 * $0 }.reduce(0, +)) * sqrt(b.map { $0 * $0 }.reduce(0, +)))
}
