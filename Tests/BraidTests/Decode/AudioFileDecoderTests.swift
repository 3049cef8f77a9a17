import Foundation
import BraidTensor
import XCTest

@testable import Braid

/// Compressed audio (MP3, AAC in M4A, FLAC, Ogg Vorbis, Opus) made at test time with `ffmpeg` from one stereo
/// signal: Braid's samples against `ffmpeg -f f32le` of the same file, sniffing by bytes alone (from memory, as
/// stdin arrives), `braid probe`'s facts, and the decode options.
final class AudioFileDecoderTests: XCTestCase {
    private static let codecs: [(file: String, arguments: [String])] = [
        ("tone.mp3", ["-c:a", "libmp3lame"]), ("tone.m4a", ["-c:a", "aac"]), ("tone.flac", ["-c:a", "flac"]),
        ("tone.ogg", ["-c:a", "libvorbis"]), ("tone.opus", ["-c:a", "libopus"]),
    ]

    /// `ffmpeg`'s standard output; `scripts/bootstrap` installs it.
    private func ffmpeg(_ arguments: [String], in folder: URL) throws -> Data {
        try runProgram("/usr/bin/env", ["ffmpeg", "-loglevel", "error", "-y"] + arguments, in: folder)
    }

    /// Two seconds of a tone on the left and a lower one with pink noise on the right, 44.1 kHz, in every codec.
    private func files() throws -> URL {
        let folder = try makeTemporaryFolder(self)
        _ = try ffmpeg(
            [
                "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-f", "lavfi", "-i",
                "anoisesrc=d=2:c=pink:a=0.1", "-filter_complex", "[0][1]join=inputs=2:channel_layout=stereo",
                "-ar", "44100", "tone.wav",
            ], in: folder)
        for (file, arguments) in Self.codecs { _ = try ffmpeg(["-i", "tone.wav"] + arguments + [file], in: folder) }
        return folder
    }

    func test_samples_equal_ffmpeg_f32le_for_every_codec() throws {
        let folder = try files()
        for (file, _) in Self.codecs {
            let path = folder.appendingPathComponent(file).path
            let reference = try ffmpeg(["-i", file, "-f", "f32le", "-acodec", "pcm_f32le", "-"], in: folder)
            let expected = reference.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            for source in [Item.Source.file(path: path), .bytes(Array(try Data(contentsOf: URL(fileURLWithPath: path))))] {
                guard case .audio(let audio) = try MediaDecoder().decode(Item(id: file, source: source)) else {
                    return XCTFail("\(file) is not audio")
                }
                XCTAssertEqual(audio.channels, 2, file)
                XCTAssertEqual(audio.samples.count, expected.count, file)
                let worst = zip(audio.samples, expected).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, 1e-6, "\(file): samples differ from ffmpeg's by \(worst)")
            }
        }
    }

    func test_formats_are_sniffed_by_their_bytes_and_probed() throws {
        let folder = try files()
        let expected = [
            "tone.mp3": ("mp3", 44100), "tone.m4a": ("aac", 44100), "tone.flac": ("flac", 44100),
            "tone.ogg": ("vorbis", 44100), "tone.opus": ("opus", 48000),
        ]
        for (file, (codec, rate)) in expected {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(file)))
            // No name to go by, as on stdin.
            let item = Item(id: "stdin", source: .bytes(bytes))
            guard case .audio(let info) = try MediaDecoder().probe(item) else { return XCTFail("\(file) is not audio") }
            XCTAssertEqual(info.codec, codec, file)
            XCTAssertEqual(info.sampleRate, rate, file)
            XCTAssertEqual(info.channels, 2, file)
            XCTAssertEqual(info.duration ?? 0, 2, accuracy: 0.1, file)
        }
        XCTAssertEqual(MediaFormat.sniff(Array("ID3\u{4}\0\0\0\0\0\0".utf8)), .audio)
        XCTAssertEqual(MediaFormat.sniff([0xFF, 0xFB, 0x90, 0x64]), .audio, "an MPEG-1 layer III frame header")
        XCTAssertEqual(MediaFormat.sniff([0xFF, 0xF1, 0x50, 0x80]), .audio, "an ADTS header")
        XCTAssertNotEqual(MediaFormat.sniff([0xFF, 0xFB, 0xF0, 0x64]), .audio, "a bitrate index of 1111 is no frame")
        XCTAssertEqual(MediaFormat.sniff(Array("\u{FEFF}text".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }), .text,
            "UTF-16's byte-order mark FF FE is not an MPEG frame")
    }

    func test_mono_and_sample_rate_apply_as_they_do_to_wav() throws {
        let folder = try files()
        var options = MediaDecoder.Options()
        options.mono = true
        options.sampleRate = 16000
        let path = folder.appendingPathComponent("tone.flac").path
        guard case .audio(let audio) = try MediaDecoder(options: options).decode(Item(id: path, source: .file(path: path)))
        else { return XCTFail("not audio") }
        XCTAssertEqual(audio.channels, 1)
        XCTAssertEqual(audio.sampleRate, 16000)
        XCTAssertEqual(Double(audio.frameCount), 32000, accuracy: 32)
    }

    func test_garbage_after_an_id3_tag_is_an_error_naming_the_file() {
        var rng = SeededRNG(seed: 1)
        let bytes = Array("ID3\u{4}\0\0\0\0\0\0".utf8) + (0..<5000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        XCTAssertThrowsError(try MediaDecoder().decode(Item(id: "talk.mp3", source: .bytes(bytes)))) { error in
            XCTAssertTrue("\(error)".hasPrefix("talk.mp3: "), "\(error)")
        }
    }
}
