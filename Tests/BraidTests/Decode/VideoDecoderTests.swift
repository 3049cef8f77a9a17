import Braid
import Foundation
import XCTest

/// Braid's video decoder against `ffmpeg -f rawvideo -pix_fmt rgb24` frames and ffprobe's timestamps.
final class VideoDecoderTests: XCTestCase {
    let decoder = VideoDecoder()

    private struct FrameList: Decodable {
        struct Frame: Decodable {
            let index: Int
            let time: Double
            let key_frame: Bool
        }
        let frames: [Frame]
        let key_frame_indices: [Int]?
    }

    private func frames(_ video: Video) -> [UInt8] {
        video.frames.flatMap { frame -> [UInt8] in
            if case .uint8(let bytes) = frame.image.samples { return bytes }
            return []
        }
    }

    private func frameList(_ entry: Fixtures.Entry) throws -> FrameList {
        let path = try XCTUnwrap(entry.reference["frames_json"], entry.path)
        return try JSONDecoder().decode(
            FrameList.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path(path))))
    }

    func test_all_frames_equal_ffmpeg_rawvideo_with_timestamps() throws {
        let entries = Fixtures.entries("video")
        XCTAssertGreaterThanOrEqual(entries.count, 6, "the video fixtures are missing")
        for entry in entries {
            let video = try decoder.decode(.file(path: Fixtures.path(entry.path)), id: entry.path)
            let reference = try NumPyFile(try XCTUnwrap(entry.reference["frames_rgb24"], entry.path))
            XCTAssertEqual(
                [video.frames.count] + (video.frames.first.map { [$0.image.height, $0.image.width, 3] } ?? []),
                reference.shape, entry.path)
            XCTAssertEqual(frames(video), reference.uint8, "\(entry.path): frames differ from ffmpeg's")
            let list = try frameList(entry)
            XCTAssertEqual(video.frames.map(\.timestamp), list.frames.map(\.time), accuracy: 1e-6, entry.path)
            XCTAssertEqual(video.frames.map(\.isKeyFrame), list.frames.map(\.key_frame), entry.path)
        }
    }

    func test_scaled_frames_equal_ffmpeg_bilinear_scale() throws {
        for entry in Fixtures.entries("video") {
            let options = VideoDecoder.Options(size: (32, 24), includeAudio: false)
            let video = try decoder.decode(.file(path: Fixtures.path(entry.path)), id: entry.path, options: options)
            let reference = try NumPyFile(try XCTUnwrap(entry.reference["frames_scaled"], entry.path))
            XCTAssertEqual(frames(video), reference.uint8, "\(entry.path): scaled frames differ from ffmpeg's")
        }
    }

    /// Videos whose display matrix turns or mirrors them (`scripts/make-av-fixtures.py`), against ffmpeg's frames
    /// with its default `-autorotate`, whole and scaled after the turn.
    func test_turned_videos_equal_ffmpegs_frames_shown_upright() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("video/rotated"))
            .filter { $0.hasSuffix(".mp4") }.sorted()
        XCTAssertEqual(names.count, 7, "the turned video fixtures are missing")
        for name in names {
            let source = Item.Source.file(path: Fixtures.path("video/rotated/\(name)"))
            for (size, suffix) in [(nil, ""), ((16, 12), ".16x12")] as [((Int, Int)?, String)] {
                let video = try decoder.decode(source, id: name, options: VideoDecoder.Options(size: size))
                let reference = try NumPyFile("reference/video/rotated/\(name.dropLast(4))\(suffix).npy")
                XCTAssertEqual(
                    [video.frames.count] + (video.frames.first.map { [$0.image.height, $0.image.width, 3] } ?? []),
                    reference.shape, name + suffix)
                XCTAssertEqual(frames(video), reference.uint8, "\(name)\(suffix): frames differ from ffmpeg's")
            }
        }
    }

    func test_probe_reports_the_rotation_and_the_shown_size() throws {
        let expected: [String: (rotation: Double, mirrored: Bool)] = [
            "rotate-90": (270, false), "rotate-180": (180, false), "rotate-270": (90, false), "mirror-x": (180, true),
            "mirror-y": (0, true), "transpose": (90, true), "antitranspose": (270, true),
        ]
        for (name, facts) in expected {
            let info = try decoder.info(.file(path: Fixtures.path("video/rotated/\(name).mp4")), id: name)
            XCTAssertEqual(info.rotation, facts.rotation, name)
            XCTAssertEqual(info.mirrored, facts.mirrored, name)
            XCTAssertEqual([info.width, info.height], [34, 26], "\(name): the stored size")
            let quarterTurn = Int(facts.rotation) % 180 == 90
            XCTAssertEqual([info.displayWidth, info.displayHeight], quarterTurn ? [26, 34] : [34, 26], name)
        }
        let plain = try decoder.info(.file(path: Fixtures.path("video/h264-aac.mp4")), id: "h264-aac.mp4")
        XCTAssertNil(plain.rotation)
        XCTAssertFalse(plain.mirrored)
    }

    func test_sampling_rules_pick_the_expected_frames() throws {
        for entry in Fixtures.entries("video") {
            let source = Item.Source.file(path: Fixtures.path(entry.path))
            let list = try frameList(entry)
            let everyThird = try decoder.decode(
                source, id: entry.path, options: .init(sampling: .init(.every(3)), includeAudio: false))
            XCTAssertEqual(
                everyThird.frames.map(\.index), Array(stride(from: 0, to: list.frames.count, by: 3)), entry.path)
            let keys = try decoder.decode(
                source, id: entry.path, options: .init(sampling: .init(.keyframes), includeAudio: false))
            XCTAssertEqual(keys.frames.map(\.index), list.frames.filter(\.key_frame).map(\.index), entry.path)
            let capped = try decoder.decode(
                source, id: entry.path, options: .init(sampling: .init(maxFrames: 2), includeAudio: false))
            XCTAssertEqual(capped.frames.count, min(2, list.frames.count), entry.path)
            let fps = try decoder.decode(
                source, id: entry.path, options: .init(sampling: .init(.fps(5)), includeAudio: false))
            let times = fps.frames.map(\.timestamp)
            let duration = (list.frames.last?.time ?? 0) - (list.frames.first?.time ?? 0)
            XCTAssertEqual(Double(times.count), (duration * 5).rounded(.down) + 1, accuracy: 1, entry.path)
            XCTAssertTrue(zip(times, times.dropFirst()).allSatisfy { $1 - $0 > 0.1 }, "\(entry.path): \(times)")
        }
    }

    func test_spread_sampling_covers_the_whole_video_with_max_frames() throws {
        var checked = 0
        for entry in Fixtures.entries("video") {
            let source = Item.Source.file(path: Fixtures.path(entry.path))
            let list = try frameList(entry)
            guard let duration = entry.expected["duration"]?.double, list.frames.count >= 6 else { continue }
            let sampling = FrameSampling(.fps(30), maxFrames: 3, spreadOverDuration: true)
            let spread = try decoder.decode(
                source, id: entry.path, options: .init(sampling: sampling, includeAudio: false))
            XCTAssertEqual(spread.frames.count, 3, entry.path)
            // A clock of 3/duration ticks at 0, d/3 and 2d/3: the last frame kept lies past the middle.
            let times = spread.frames.map { $0.timestamp - list.frames[0].time }
            XCTAssertGreaterThanOrEqual(times[2], duration * 2 / 3 - 1e-3, "\(entry.path): \(times)")
            XCTAssertGreaterThanOrEqual(times[1], duration / 3 - 1e-3, "\(entry.path): \(times)")
            var unspread = sampling
            unspread.spreadOverDuration = false
            let head = try decoder.decode(
                source, id: entry.path, options: .init(sampling: unspread, includeAudio: false))
            XCTAssertEqual(head.frames.map(\.index), [0, 1, 2], entry.path)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 3, "fixture videos long enough to spread over")
    }

    func test_soundtrack_summary_equals_the_encoding_of_the_kept_samples() throws {
        let encoder = LogMelEncoder()
        for entry in Fixtures.entries("video") where entry.expected["has_audio"]?.bool == true {
            let source = Item.Source.file(path: Fixtures.path(entry.path))
            let kept = try decoder.decode(source, id: entry.path)
            let summarised = try decoder.decode(source, id: entry.path, soundtrack: encoder)
            let audio = try XCTUnwrap(kept.audio, entry.path)
            XCTAssertNil(summarised.audio, entry.path)
            let summary = try XCTUnwrap(summarised.audioSummary, entry.path)
            XCTAssertEqual(summary.reducer, "logmel")
            XCTAssertEqual(summary.sampleRate, audio.sampleRate, entry.path)
            XCTAssertEqual(summary.channels, audio.channels, entry.path)
            XCTAssertEqual(summary.frameCount, audio.frameCount, entry.path)
            XCTAssertEqual(summary.values, try encoder.encode(.audio(audio)), entry.path)
            XCTAssertEqual(summarised.frames, kept.frames, entry.path)
        }
    }

    func test_video_from_memory_equals_video_from_path() throws {
        let entry = try XCTUnwrap(Fixtures.entries("video").first { $0.expected["has_audio"]?.bool == true })
        let path = Fixtures.path(entry.path)
        let fromPath = try decoder.decode(.file(path: path), id: entry.path)
        let fromMemory = try decoder.decode(.bytes(Array(Data(contentsOf: URL(fileURLWithPath: path)))), id: entry.path)
        XCTAssertEqual(fromPath, fromMemory)
        let audio = try XCTUnwrap(fromPath.audio, "\(entry.path) has an audio track")
        XCTAssertEqual(audio.sampleRate, entry.expected["audio_sample_rate"]?.int)
        XCTAssertEqual(audio.duration, entry.expected["duration"]?.double ?? 1, accuracy: 0.15)
    }

    func test_probe_reports_the_manifest_properties() throws {
        for entry in Fixtures.entries("video") {
            let info = try decoder.info(.file(path: Fixtures.path(entry.path)), id: entry.path)
            XCTAssertEqual(info.codec, entry.expected["video_codec"]?.string, entry.path)
            XCTAssertEqual(info.width, entry.expected["width"]?.int, entry.path)
            XCTAssertEqual(info.height, entry.expected["height"]?.int, entry.path)
            XCTAssertEqual(info.fps, entry.expected["fps"]?.double ?? 0, accuracy: 0.01, entry.path)
            XCTAssertEqual(info.audio != nil, entry.expected["has_audio"]?.bool, entry.path)
        }
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String) {
    XCTAssertEqual(a.count, b.count, message)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message) }
}
