import Foundation
import XCTest

/// Inputs that try to crash, hang or exhaust `braid`: each fails alone with a clear error, or is handled in
/// bounded memory, while the rest of the batch goes on.
final class HostileInputTests: XCTestCase {
    func test_each_hostile_file_fails_alone_with_a_named_reason() throws {
        let scratch = try ScratchFolder()
        // Sorted names, so the expected order of the lines is the order below.
        try PNGBytes.header(width: 100_000, height: 100_000, idat: []).write(
            to: scratch.url.appendingPathComponent("a-huge.png"))
        // 12000×12000 grey: 144 MB of rows from about 140 KB of IDAT.
        try PNGBytes.header(width: 12_000, height: 12_000, idat: try zlibOfZeros(12_001 * 12_000))
            .write(to: scratch.url.appendingPathComponent("b-bomb.png"))
        try Data("GIF89a\u{1}\0\u{1}\0\0\0\0;".utf8).write(to: scratch.url.appendingPathComponent("c-gif.png"))
        try Data().write(to: scratch.url.appendingPathComponent("d-empty.wav"))
        try PNGBytes.header(width: 0, height: 4, idat: []).write(
            to: scratch.url.appendingPathComponent("e-zero-width.png"))
        try Data("a good text among them".utf8).write(to: scratch.url.appendingPathComponent("g-good.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("h-loop"), withDestinationPath: scratch.url.path)
        // Photos and sound that lie: a JPEG header claiming 65,500 × 65,500, a JPEG cut short and one whose Huffman
        // table is damaged, a WebP whose chunk sizes claim 2 GB, an MP3 of garbage after a valid ID3 tag.
        let fixtures = BraidProcess.packageRoot.appendingPathComponent("Fixtures")
        var huge = try Data(contentsOf: fixtures.appendingPathComponent("jpeg/subsampling-444.jpg"))
        let sof = try XCTUnwrap((0..<huge.count - 1).first { huge[$0] == 0xFF && huge[$0 + 1] == 0xC0 })
        huge.replaceSubrange(sof + 5..<sof + 9, with: [0xFF, 0xDC, 0xFF, 0xDC])
        try huge.write(to: scratch.url.appendingPathComponent("i-huge.jpg"))
        for (fixture, name) in [
            ("jpeg/corrupt/truncated.jpg", "j-truncated.jpg"), ("jpeg/corrupt/bad-huffman-table.jpg", "k-huffman.jpg"),
            ("webp/corrupt/lying-chunk-size.webp", "l-lying.webp"), ("audio/corrupt/garbage-after-id3.mp3", "m-id3.mp3"),
        ] {
            try FileManager.default.copyItem(
                at: fixtures.appendingPathComponent(fixture), to: scratch.url.appendingPathComponent(name))
        }

        let start = Date()
        let result = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", scratch.url.path])
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "hostile inputs must not stall the run")
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(try result.stdoutLines.map { try jsonObject($0)["id"] as? String }, ["g-good.txt"])
        let errors = try Dictionary(
            uniqueKeysWithValues: result.stderr.split(separator: UInt8(ascii: "\n")).compactMap {
                line -> (String, String)? in
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix("{") else { return nil }
                let object = try jsonObject(text)
                return (try XCTUnwrap(object["id"] as? String), try XCTUnwrap(object["error"] as? String))
            })
        XCTAssertTrue(errors["a-huge.png"]?.contains("too large: 100000×100000") == true, "\(errors)")
        XCTAssertTrue(errors["b-bomb.png"]?.contains("too large: 12000×12000") == true, "\(errors)")
        XCTAssertTrue(errors["c-gif.png"]?.contains("gif") == true, "\(errors)")
        XCTAssertTrue(errors["d-empty.wav"]?.contains("empty file") == true, "\(errors)")
        XCTAssertTrue(errors["e-zero-width.png"]?.contains("width is zero") == true, "\(errors)")
        XCTAssertTrue(
            errors.keys.contains { $0.hasPrefix("h-loop") }, "a symlink loop is reported, not walked forever: \(errors)"
        )
        XCTAssertTrue(errors["i-huge.jpg"]?.contains("too large: 65500×65500") == true, "\(errors)")
        XCTAssertTrue(errors["j-truncated.jpg"]?.contains("truncated: libjpeg") == true, "\(errors)")
        XCTAssertTrue(errors["k-huffman.jpg"]?.contains("corrupt: libjpeg") == true, "\(errors)")
        XCTAssertTrue(errors["l-lying.webp"]?.contains("truncated: libwebp") == true, "\(errors)")
        XCTAssertTrue(errors["m-id3.mp3"]?.contains("corrupt: FFmpeg") == true, "\(errors)")
    }

    func test_a_video_stream_that_never_ends_on_stdin_embeds_in_bounded_time() throws {
        let source = Process()
        source.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        source.arguments = [
            "-loglevel", "quiet", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-c:v", "mpeg2video", "-f",
            "mpegts", "-",
        ]
        let braid = BraidProcess(["embed", "--quiet", "--max-frames", "8", "-"])
        let pipe = Pipe()
        source.standardOutput = pipe
        braid.process.standardInput = pipe
        try source.run()
        try braid.process.run()
        let collected = braid.collectOutputs()
        let deadline = Date().addingTimeInterval(60)
        while braid.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        source.terminate()
        XCTAssertFalse(braid.process.isRunning, "braid must stop after its frame cap, not read forever")
        braid.process.terminate()
        braid.process.waitUntilExit()
        let (out, err) = collected()
        XCTAssertEqual(braid.process.terminationStatus, 0, String(decoding: err, as: UTF8.self))
        let record = try jsonObject(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .newlines))
        XCTAssertEqual(record["modality"] as? String, "video")
        XCTAssertEqual((record["meta"] as? [String: Any])?["frames"] as? Int, 8)
    }

    func test_a_ten_hour_silent_wav_streams_through_the_encoder_in_bounded_memory() throws {
        let scratch = try ScratchFolder()
        let wav = scratch.url.appendingPathComponent("ten-hours.wav")
        try silentWAV(hours: 10, at: wav)
        // 288 million samples: loaded whole they would be 1.1 GB and over the default --max-samples.
        let measure = Process()
        measure.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        measure.arguments = [
            "python3", "-c",
            "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
                + "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)",
            BraidProcess.executable.path, "embed", "--quiet", wav.path,
        ]
        let output = Pipe()
        let errors = Pipe()
        measure.standardOutput = output
        measure.standardError = errors
        try measure.run()
        let line = output.fileHandleForReading.readDataToEndOfFile()
        let peakText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        measure.waitUntilExit()
        XCTAssertEqual(measure.terminationStatus, 0, peakText)
        let record = try jsonObject(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .newlines))
        XCTAssertEqual(record["encoder"] as? String, "logmel")
        XCTAssertEqual((record["meta"] as? [String: Any])?["duration"] as? Double, 36_000)
        // Digital silence has no spectral shape, spread or motion: the documented all-zero vector.
        XCTAssertEqual((record["embedding"] as? [Double])?.allSatisfy { $0 == 0 }, true)
        let peakKilobytes = try XCTUnwrap(Int(peakText.trimmingCharacters(in: .whitespacesAndNewlines)), peakText)
        XCTAssertLessThan(peakKilobytes, 200_000, "peak RSS of the embed, in KB")
    }

    func test_unreadable_files_and_folders_fail_alone() throws {
        let scratch = try ScratchFolder()
        try Data("locked".utf8).write(to: scratch.url.appendingPathComponent("a-locked.txt"))
        try Data("open".utf8).write(to: scratch.url.appendingPathComponent("b-open.txt"))
        try FileManager.default.createDirectory(
            at: scratch.url.appendingPathComponent("c-locked-folder"), withIntermediateDirectories: false)
        chmod(scratch.path("a-locked.txt"), 0)
        chmod(scratch.path("c-locked-folder"), 0)
        chmod(scratch.url.path, 0o755)
        chmod(scratch.path("b-open.txt"), 0o644)
        let process = Process()
        let embed = ["embed", "--quiet", "--encoder", "text=hashed", scratch.url.path]
        if getuid() == 0 {
            // Root reads any file; as `nobody`, mode 000 means what it means to every other user.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                ["--reuid=65534", "--regid=65534", "--clear-groups", BraidProcess.executable.path] + embed
        } else {
            process.executableURL = BraidProcess.executable
            process.arguments = embed
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1, errorText)
        XCTAssertEqual(
            try lines.split(separator: "\n").map { try jsonObject(String($0))["id"] as? String }, ["b-open.txt"])
        XCTAssertTrue(errorText.contains("a-locked.txt: cannot read: Permission denied"), errorText)
        XCTAssertTrue(errorText.contains(#""id":"c-locked-folder""#), errorText)
        XCTAssertTrue(errorText.contains("cannot list folder: Permission denied"), errorText)
    }

    func test_a_non_utf8_file_name_keeps_a_valid_utf8_id() throws {
        let scratch = try ScratchFolder()
        // "café.txt" in Latin-1: the byte 0xE9 alone is not UTF-8.
        var path = Array(scratch.url.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".txt".utf8) + [0]
        let descriptor = path.withUnsafeMutableBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644)
        }
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        _ = "word".withCString { write(descriptor, $0, 4) }
        close(descriptor)
        let result = try BraidProcess.run(["embed", "--quiet", "--encoder", "text=hashed", scratch.url.path])
        XCTAssertEqual(result.status, 0, result.stderrText)
        XCTAssertEqual(try result.stdoutLines.map { try jsonObject($0)["id"] as? String }, ["caf%E9.txt"])
    }

    /// zlib's compression of `count` zero bytes, from Python's zlib (the test machine's python3).
    private func zlibOfZeros(_ count: Int) throws -> [UInt8] {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(bytes(\(count)), 9))",
        ]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0)
        return Array(bytes)
    }

    /// A WAV header and a sparse file of zeros: ten hours of silence that costs no disk.
    private func silentWAV(hours: Int, at url: URL) throws {
        let rate = 8000
        let frames = hours * 3600 * rate
        let dataBytes = frames * 2
        var header = Data("RIFF".utf8) + le32(36 + dataBytes) + Data("WAVEfmt ".utf8) + le32(16)
        header +=
            le16(1) + le16(1) + le32(rate) + le32(rate * 2) + le16(2) + le16(16) + Data("data".utf8) + le32(dataBytes)
        try header.write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(header.count + dataBytes))
        try handle.close()
    }
}

private func le16(_ value: Int) -> Data { Data([UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)]) }
private func le32(_ value: Int) -> Data { Data((0..<4).map { UInt8(value >> ($0 * 8) & 0xFF) }) }

/// Hand-made PNG files, with real CRCs, for inputs no encoder would write.
enum PNGBytes {
    static func header(width: Int, height: Int, colorType: UInt8 = 0, idat: [UInt8]) -> Data {
        var ihdr = Data()
        ihdr += be32(width) + be32(height) + Data([8, colorType, 0, 0, 0])
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + chunk("IHDR", ihdr) + chunk("IDAT", Data(idat))
            + chunk("IEND", Data())
    }

    private static func be32(_ value: Int) -> Data { Data((0..<4).reversed().map { UInt8(value >> ($0 * 8) & 0xFF) }) }

    private static func chunk(_ type: String, _ body: Data) -> Data {
        let typed = Data(type.utf8) + body
        return be32(body.count) + typed + be32(Int(crc32(typed)))
    }

    private static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
