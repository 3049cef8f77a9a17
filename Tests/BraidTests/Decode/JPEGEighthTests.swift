import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// Braid's own entropy decoding at 1/8 (`braid_jpeg_eighth.c`, one thread or two that meet in the middle) against
/// libjpeg's decode of the same file at the same scale: photos made at test time by another encoder (ffmpeg's
/// MJPEG), the Pillow fixtures, and damaged copies, which must end exactly as libjpeg ends them.
final class JPEGEighthTests: XCTestCase {
    private let libjpeg = {
        var decoder = JPEGDecoder()
        decoder.libjpegOnly = true
        return decoder
    }()

    /// The decoder splits only where a second core is online.
    private let splitThreads = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 ? 2 : 1

    private func braid(splitBytes: Int) -> JPEGDecoder {
        var decoder = JPEGDecoder()
        decoder.splitBytes = splitBytes
        return decoder
    }

    /// Noisy frames of ffmpeg's test pattern at odd sizes, in the three chroma layouts its encoder writes.
    private func ffmpegPhotos() throws -> [(name: String, bytes: [UInt8])] {
        let ffmpeg = "/usr/bin/ffmpeg"
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else {
            throw XCTSkip("needs \(ffmpeg) (scripts/bootstrap installs it) to make JPEGs with a second encoder")
        }
        let folder = try makeTemporaryFolder(self)
        return try [("yuvj420p", "1283x727"), ("yuvj422p", "961x541"), ("yuvj444p", "641x479")].map { format, size in
            let name = "\(format)-\(size).jpg"
            _ = try runProgram(
                ffmpeg,
                [
                    "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=\(size),noise=alls=30:allf=t",
                    "-frames:v", "1", "-pix_fmt", format, "-q:v", "3", name,
                ], in: folder)
            return (name, Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    func test_one_and_two_threads_give_libjpegs_pixels_for_another_encoders_photos() throws {
        for photo in try ffmpegPhotos() {
            let reference = try libjpeg.decodeReporting(photo.bytes, reduction: 8, source: photo.name)
            XCTAssertEqual(reference.decoding, .libjpeg)
            for (splitBytes, threads) in [(0, 1), (1, splitThreads)] {
                let decoded = try braid(splitBytes: splitBytes).decodeReporting(
                    photo.bytes, reduction: 8, source: photo.name)
                XCTAssertEqual(decoded.decoding, .braid(threads: threads), photo.name)
                XCTAssertEqual(decoded.image, reference.image, "\(photo.name), \(threads) threads")
            }
        }
    }

    /// Baseline grey and YCbCr files go through Braid's decoder; progressive, restart markers and CMYK are left to
    /// libjpeg. Every one equals libjpeg's decode, split from the first byte on.
    func test_the_pillow_fixtures_give_libjpegs_pixels_and_the_rest_is_left_to_libjpeg() throws {
        let folder = Fixtures.path("jpeg")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jpg") }.sorted()
        XCTAssertEqual(names.count, 17, "the JPEG fixtures are missing")
        var met = 0
        for name in names {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
            let reference = try libjpeg.decode(bytes, reduction: 8, source: name)
            let decoded = try braid(splitBytes: 1).decodeReporting(bytes, reduction: 8, source: name)
            XCTAssertEqual(decoded.image, reference, name)
            let leftToLibjpeg = ["cmyk.jpg", "progressive.jpg", "restart-markers.jpg"].contains(name)
            XCTAssertEqual(decoded.decoding == .libjpeg, leftToLibjpeg, "\(name): \(decoded.decoding)")
            if decoded.decoding == .braid(threads: 2) { met += 1 }
        }
        // Files of a kilobyte give the second thread little room to fall onto the blocks before the data ends.
        XCTAssertTrue(met > 0 || splitThreads == 1, "the two threads never met on a fixture")
    }

    /// A byte changed or the file cut short anywhere after the headers: Braid's decoder either decodes exactly
    /// libjpeg's pixels or leaves the file to libjpeg, so the outcome, pixels or error, is libjpeg's.
    func test_damaged_photos_end_as_libjpeg_ends_them() throws {
        let photo = try XCTUnwrap(try ffmpegPhotos().first)
        let bytes = photo.bytes
        let scanStart = try XCTUnwrap((0..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        var random = SeededRNG(seed: 17)
        var outcomes: Set<String> = []
        for trial in 0..<200 {
            var damaged = photo.bytes
            let offset = Int.random(in: scanStart..<damaged.count, using: &random)
            if trial % 4 == 0 {
                damaged.removeSubrange(offset...)
            } else {
                damaged[offset] = UInt8.random(in: 0...255, using: &random)
            }
            let (braid, libjpeg) = JPEGDecoder().eighthByBothDecoders(damaged, source: "damaged-\(trial).jpg")
            XCTAssertEqual(braid, libjpeg, "trial \(trial), byte \(offset)")
            outcomes.insert((try? libjpeg.get()) == nil ? "error" : "pixels")
        }
        XCTAssertEqual(outcomes, ["pixels", "error"], "the damage should sometimes be decoded and sometimes refused")
    }
}
