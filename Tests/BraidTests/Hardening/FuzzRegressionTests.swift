import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// Inputs the fuzz targets (`Fuzz/`, `scripts/fuzz`) found crashing, hanging or leaking, kept in
/// `Fixtures/fuzz/TARGET/`. Each goes through the calls its fuzz target makes, with the same small limits, and
/// must end in success or the reader's own error, well inside the fuzzer's 2 s hang limit. Leaks need
/// AddressSanitizer: `scripts/fuzz TARGET` runs these files first, as seeds.
final class FuzzRegressionTests: XCTestCase {
    private static let folder = Fixtures.root.appendingPathComponent("fuzz")

    /// The calls of each fuzz target, by its folder name under `Fixtures/fuzz/`.
    private static let targets: [String: @Sendable ([UInt8]) throws -> Void] = [
        "sniff": { bytes in
            let names = ["fuzz", "fuzz.png", "fuzz.wav", "fuzz.mp4", "fuzz.txt"]
            _ = try MediaDecoder().sniff(Item(id: names[Int(bytes.last ?? 0) % names.count], source: .bytes(bytes)))
        },
        "png": { bytes in
            let decoder = PNGDecoder(maxPixels: 1 << 22)
            _ = try decoder.info(bytes, source: "fuzz.png")
            _ = try decoder.decode(bytes, as: bytes.count % 2 == 0 ? .uint8 : .float32, source: "fuzz.png")
        },
        "jpeg": { bytes in
            let decoder = JPEGDecoder(maxPixels: 1 << 22)
            _ = try? decoder.decode(bytes, source: "fuzz.jpg")
            let (braid, libjpeg) = decoder.eighthByBothDecoders(bytes, source: "fuzz.jpg")
            XCTAssertEqual(braid, libjpeg, "at 1/8, Braid's entropy decoder against libjpeg's")
            _ = try libjpeg.get()
        },
        "webp": { bytes in
            let decoder = WebPDecoder(maxPixels: 1 << 18)
            _ = try decoder.info(bytes, source: "fuzz.webp")
            _ = try decoder.decode(bytes, source: "fuzz.webp")
        },
        "wav": { bytes in
            let decoder = WAVDecoder(maxSamples: 1 << 22)
            _ = try decoder.info(.bytes(bytes), id: "fuzz.wav")
            let convert = bytes.count % 4 == 0
            _ = try decoder.decode(.bytes(bytes), id: "fuzz.wav", sampleRate: convert ? 16_000 : nil, mono: convert)
        },
        "video": { bytes in
            let decoder = VideoDecoder(maxPixels: 1 << 22, maxDecodedBytes: 64 << 20)
            _ = try decoder.info(.bytes(bytes), id: "fuzz.mp4")
            let options = VideoDecoder.Options(sampling: FrameSampling(maxFrames: 8), threads: 1)
            _ = try decoder.decode(.bytes(bytes), id: "fuzz.mp4", options: options)
        },
        "text": { bytes in
            _ = try TextDecoder(replaceInvalid: false).decode(bytes, source: "fuzz.txt")
            _ = try TextDecoder(replaceInvalid: true).decode(bytes, source: "fuzz.txt")
        },
        "tar": { bytes in
            try withScratchFile(bytes) { url in
                var tar = TarReader(reader: try ByteReader(path: url.path))
                while try tar.next() != nil {}
            }
        },
        "yaml": { bytes in _ = try PipelineSpec.parse(yaml: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
        },
        "safetensors": { bytes in
            try withScratchFile(bytes) { url in
                let file = try SafeTensorsFile(contentsOf: url)
                for key in file.keys { _ = try? file.tensor(key) }
            }
        },
    ]

    private static func withScratchFile(_ bytes: [UInt8], _ body: (URL) throws -> Void) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("braid-fuzz-regression-\(UUID())")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        try body(url)
    }

    /// Whether `error` is the error type the target's reader reports input problems with.
    private static func isReaderError(_ error: any Error, target: String) -> Bool {
        switch target {
        case "tar": error is InputError
        case "yaml": error is PipelineSpecError
        case "safetensors": error is WeightError
        default: error is DecodeError
        }
    }

    func test_every_regression_input_ends_in_a_result_or_the_readers_error_within_a_second() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
        var checked = 0
        for target in folders {
            let run = try XCTUnwrap(Self.targets[target], "Fixtures/fuzz/\(target) is not a fuzz target's name")
            let files = try FileManager.default.contentsOfDirectory(
                atPath: Self.folder.appendingPathComponent(target).path)
            for file in files.sorted() {
                let name = "\(target)/\(file)"
                let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
                let start = Date()
                do {
                    try run(bytes)
                } catch {
                    XCTAssertTrue(
                        Self.isReaderError(error, target: target), "\(name): unexpected \(type(of: error)): \(error)")
                }
                XCTAssertLessThan(Date().timeIntervalSince(start), 1, "\(name) is slow again")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 3)
    }

    /// A WAV header claiming 1 080 623 104 Hz stalled libswresample's filter set-up for 25 s (under ASan) when
    /// asked for 16 kHz. The WAV reader now refuses the rate itself; the resampler refuses it for video soundtracks.
    func test_an_absurd_sample_rate_is_refused_before_resampling() throws {
        let bytes = try fixture("wav/resample-1ghz-rate.wav")
        XCTAssertThrowsError(try WAVDecoder().decode(.bytes(bytes), id: "x.wav", sampleRate: 16_000)) { error in
            XCTAssertEqual((error as? DecodeError)?.source, "x.wav")
            guard case .unsupported(let detail) = (error as? DecodeError)?.reason else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("1080623104 Hz"), detail)
        }
    }

    /// Upsampling multiplies the samples; the decoded clip's limit applies to the resampled one.
    func test_resampling_past_the_sample_limit_is_refused() throws {
        let bytes = try [UInt8](Data(contentsOf: Fixtures.root.appendingPathComponent("wav/u8-mono-8000.wav")))
        let samples = try WAVDecoder().decode(.bytes(bytes), id: "u8.wav").samples.count
        let decoder = WAVDecoder(maxSamples: samples * 3)
        let doubled = try decoder.decode(.bytes(bytes), id: "u8.wav", sampleRate: 16_000).samples.count
        XCTAssertLessThanOrEqual(abs(doubled - samples * 2), 2)
        XCTAssertThrowsError(try decoder.decode(.bytes(bytes), id: "u8.wav", sampleRate: 32_000)) { error in
            guard case .tooLarge = (error as? DecodeError)?.reason else { return XCTFail("\(error)") }
        }
    }

    /// An empty buffer freed FFmpeg's format context in the initialiser and again in `deinit` (SEGV).
    func test_empty_video_bytes_are_an_empty_file() throws {
        XCTAssertEqual(try fixture("video/empty.mp4"), [])
        XCTAssertThrowsError(try VideoDecoder().decode(.bytes([]), id: "x.mp4")) { error in
            XCTAssertEqual(error as? DecodeError, DecodeError("x.mp4", .empty))
        }
        XCTAssertThrowsError(try VideoDecoder().info(.text("frames"), id: "x.mp4")) { error in
            guard case .notA(.video, _) = (error as? DecodeError)?.reason else { return XCTFail("\(error)") }
        }
    }

    /// libswscale's SIMD converters wrote 15 bytes past a 91-pixel-wide RGB24 frame, into the next heap block
    /// (ASan saw it only as corrupt heap metadata later); frames now have spare capacity behind them. The overrun
    /// is in uninstrumented FFmpeg code, so this decodes the input and checks the frames, not the write itself.
    func test_a_frame_width_off_swscales_block_size_decodes() throws {
        let options = VideoDecoder.Options(sampling: FrameSampling(maxFrames: 8), threads: 1)
        let video = try VideoDecoder().decode(
            .bytes(try fixture("video/swscale-overrun-91px.mkv")), id: "x.mkv", options: options)
        XCTAssertFalse(video.frames.isEmpty)
        for frame in video.frames {
            XCTAssertEqual(frame.image.width, 91)
            guard case .uint8(let bytes) = frame.image.samples else { return XCTFail("frames are 8-bit RGB") }
            XCTAssertEqual(bytes.count, 91 * frame.image.height * 3)
        }
    }

    /// A pax record shorter than its own length field ("2 ") and a negative pax size trapped on a reversed range.
    func test_malformed_pax_records_end_the_tar_stream_with_an_input_error() throws {
        for name in ["tar/pax-record-without-newline.tar", "tar/pax-negative-size.tar"] {
            XCTAssertThrowsError(try Self.targets["tar"]?(try fixture(name)), name) { error in
                XCTAssertTrue((error as? InputError)?.problem.contains("pax header") == true, "\(name): \(error)")
            }
        }
    }

    private func fixture(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
    }
}
