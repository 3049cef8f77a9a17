import CSndFile
import Foundation
import XCTest

@testable import Braid

/// Helpers for the Encode tests: similarity, fixture and data paths, WAV reading, synthesised media.
enum EncodeTestSupport {
    struct WAVReadError: Error {
        let path: String
        let reason: String
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vectors of different lengths")
        var dot = 0.0
        var normA = 0.0
        var normB = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            normA += Double(x) * Double(x)
            normB += Double(y) * Double(y)
        }
        return dot / (normA.squareRoot() * normB.squareRoot())
    }

    static func length(_ vector: [Float]) -> Double {
        vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixture(_ name: String) -> URL {
        repositoryRoot.appendingPathComponent("Fixtures/encode").appendingPathComponent(name)
    }

    /// FSDD's recordings in `shared/data` beside the repository (see shared/data/README.md); skips the calling test
    /// on a clone without it.
    static func fsddRecordings() throws -> URL {
        let folder = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/fsdd/recordings")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw XCTSkip("\(folder.path) is missing (a clone without ../shared): FSDD's digits are not compared")
        }
        return folder
    }

    /// Reads a WAV file with libsndfile as float samples in [-1, 1], independently of Braid's own decoder.
    static func readWAV(_ url: URL) throws -> Audio {
        var info = SF_INFO()
        guard let file = sf_open(url.path, Int32(SFM_READ), &info) else {
            throw WAVReadError(path: url.path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(file) }
        var samples = [Float](repeating: 0, count: Int(info.frames) * Int(info.channels))
        let read = sf_readf_float(file, &samples, info.frames)
        XCTAssertEqual(read, info.frames, "short read of \(url.lastPathComponent)")
        return Audio(sampleRate: Int(info.samplerate), channels: Int(info.channels), samples: samples)
    }

    /// A sine tone, rounded to float as a decoder would deliver it.
    static func tone(frequency: Double, amplitude: Double, sampleRate: Int, count: Int) -> Audio {
        let samples = (0..<count).map { n in
            Float(amplitude * sin(2 * Double.pi * frequency * Double(n) / Double(sampleRate)))
        }
        return Audio(sampleRate: sampleRate, channels: 1, samples: samples)
    }

    /// Uniform white noise in [-amplitude, amplitude] from a fixed-seed xorshift generator.
    static func noise(amplitude: Float, sampleRate: Int, count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Audio {
        var state = seed
        let samples = (0..<count).map { _ -> Float in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
        return Audio(sampleRate: sampleRate, channels: 1, samples: samples)
    }

    /// Renders `colour(x, y)` (coordinates in the unit square, colour channels in [0, 1]) over the region
    /// `[left, left + span] × [top, top + span·height/width]` as an 8-bit RGB image.
    static func render(
        width: Int, height: Int, left: Double = 0, top: Double = 0, span: Double = 1,
        _ colour: (Double, Double) -> (Double, Double, Double)
    ) -> Image {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(width * height * 3)
        let step = span / Double(width)
        for row in 0..<height {
            for column in 0..<width {
                let (red, green, blue) = colour(left + (Double(column) + 0.5) * step, top + (Double(row) + 0.5) * step)
                for value in [red, green, blue] { bytes.append(UInt8((min(1, max(0, value)) * 255).rounded())) }
            }
        }
        return Image(width: width, height: height, channels: 3, bytes: bytes)
    }

    /// A landscape: blue sky fading to white, green ground with stripes, and an orange sun.
    static func landscape(_ x: Double, _ y: Double) -> (Double, Double, Double) {
        let sunDistance = ((x - 0.7) * (x - 0.7) + (y - 0.25) * (y - 0.25)).squareRoot()
        if sunDistance < 0.12 { return (1, 0.6, 0.1) }
        if y < 0.55 { return (0.3 + 0.5 * y, 0.5 + 0.4 * y, 0.95) }
        let stripe = Int((x + y) * 12) % 2 == 0 ? 0.1 : 0
        return (0.15 + stripe, 0.55 + stripe, 0.2)
    }

    /// A different picture: a purple and yellow checkerboard.
    static func checkerboard(_ x: Double, _ y: Double) -> (Double, Double, Double) {
        (Int(x * 8) + Int(y * 8)) % 2 == 0 ? (0.5, 0.1, 0.6) : (0.95, 0.9, 0.2)
    }
}
