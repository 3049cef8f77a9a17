import Foundation
import BraidTensor
import XCTest

@testable import Braid

/// Compressed audio (MP3, AAC in M4A, FLAC, Ogg Vorbis, Opus) made by `scripts/make-av-fixtures.py` from one stereo
/// signal: Braid's samples against `ffmpeg -f f32le` of the same file, sniffing by bytes alone (from memory, as
/// stdin arrives), `braid probe`'s facts, and the decode options.
final class AudioFileDecoderTests: XCTestCase {
    private static let files = ["tone.mp3", "tone.m4a", "tone.flac", "tone.ogg", "tone.opus"]

    private func path(_ file: String) -> String { Fixtures.path("audio/\(file)") }

    func test_samples_equal_ffmpeg_f32le_for_every_codec() throws {
        for file in Self.files {
            let expected = try NumPyFile("reference/audio/\(file).npy")
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path(file))))
            for source in [Item.Source.file(path: path(file)), .bytes(bytes)] {
                guard case .audio(let audio) = try MediaDecoder().decode(Item(id: file, source: source)) else {
                    return XCTFail("\(file) is not audio")
                }
                XCTAssertEqual([audio.frameCount, audio.channels], expected.shape, file)
                let worst = zip(audio.samples, expected.float32).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, 1e-6, "\(file): samples differ from ffmpeg's by \(worst)")
            }
        }
    }

    func test_formats_are_sniffed_by_their_bytes_and_probed() throws {
        let expected = [
            "tone.mp3": ("mp3", 44100), "tone.m4a": ("aac", 44100), "tone.flac": ("flac", 44100),
            "tone.ogg": ("vorbis", 44100), "tone.opus": ("opus", 48000),
        ]
        for (file, (codec, rate)) in expected {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path(file))))
            // No name to go by, as on stdin.
            let item = Item(id: "stdin", source: .bytes(bytes))
            guard case .audio(let info) = try MediaDecoder().probe(item) else { return XCTFail("\(file) is not audio") }
            XCTAssertEqual(info.codec, codec, file)
            XCTAssertEqual(info.sampleRate, rate, file)
            XCTAssertEqual(info.channels, 2, file)
            XCTAssertEqual(info.duration ?? 0, 0.25, accuracy: 0.05, file)
        }
        XCTAssertEqual(MediaFormat.sniff(Array("ID3\u{4}\0\0\0\0\0\0".utf8)), .audio)
        XCTAssertEqual(MediaFormat.sniff([0xFF, 0xFB, 0x90, 0x64]), .audio, "an MPEG-1 layer III frame header")
        XCTAssertEqual(MediaFormat.sniff([0xFF, 0xF1, 0x50, 0x80]), .audio, "an ADTS header")
        XCTAssertNotEqual(MediaFormat.sniff([0xFF, 0xFB, 0xF0, 0x64]), .audio, "a bitrate index of 1111 is no frame")
        XCTAssertEqual(MediaFormat.sniff(Array("\u{FEFF}text".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }), .text,
            "UTF-16's byte-order mark FF FE is not an MPEG frame")
    }

    func test_mono_and_sample_rate_apply_as_they_do_to_wav() throws {
        var options = MediaDecoder.Options()
        options.mono = true
        options.sampleRate = 16000
        let item = Item(id: "tone.flac", source: .file(path: path("tone.flac")))
        guard case .audio(let audio) = try MediaDecoder(options: options).decode(item) else { return XCTFail("not audio") }
        XCTAssertEqual(audio.channels, 1)
        XCTAssertEqual(audio.sampleRate, 16000)
        XCTAssertEqual(Double(audio.frameCount), 4000, accuracy: 32)
    }

    func test_garbage_after_an_id3_tag_is_an_error_naming_the_file() {
        let item = Item(id: "talk.mp3", source: .file(path: path("corrupt/garbage-after-id3.mp3")))
        XCTAssertThrowsError(try MediaDecoder().decode(item)) { error in
            XCTAssertTrue("\(error)".hasPrefix("talk.mp3: "), "\(error)")
        }
    }
}
