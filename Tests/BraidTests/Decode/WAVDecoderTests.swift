import Braid
import Foundation
import XCTest

/// Braid's WAV decoder against soundfile's samples, from a path and from memory.
final class WAVDecoderTests: XCTestCase {
    let decoder = WAVDecoder()

    func test_every_wav_fixture_matches_soundfile_from_path_and_from_memory() throws {
        let entries = Fixtures.entries("audio")
        XCTAssertGreaterThan(entries.count, 10, "the WAV fixtures are missing")
        for entry in entries {
            let reference = try NumPyFile(try XCTUnwrap(entry.reference["float32"], entry.path))
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(entry.path))))
            for source in [Item.Source.file(path: Fixtures.path(entry.path)), .bytes(bytes)] {
                let audio = try decoder.decode(source, id: entry.path)
                XCTAssertEqual([audio.frameCount, audio.channels], reference.shape, entry.path)
                XCTAssertEqual(audio.samples, reference.float32, "\(entry.path): samples differ from soundfile's")
            }
            let info = try decoder.info(.bytes(bytes), id: entry.path)
            XCTAssertEqual(info.sampleRate, entry.expected["sample_rate"]?.int, entry.path)
            XCTAssertEqual(info.channels, entry.expected["channels"]?.int, entry.path)
            XCTAssertEqual(info.frames, entry.expected["frames"]?.int, entry.path)
        }
    }

    func test_resampling_keeps_a_tone_at_its_frequency() throws {
        let rate = 44_100
        let frequency = 1000.0
        let tone = (0..<rate).map { Float(sin(2 * .pi * frequency * Double($0) / Double(rate))) }
        let resampled = try decodeThroughWAV(Audio(sampleRate: rate, channels: 1, samples: tone), sampleRate: 16_000)
        XCTAssertEqual(resampled.sampleRate, 16_000)
        XCTAssertEqual(Double(resampled.frameCount), 16_000, accuracy: 40)
        // Correlate with sine and cosine at the tone's frequency: the tone keeps its energy there.
        let middle = resampled.samples[2000..<14_000]
        var inPhase = 0.0
        var quadrature = 0.0
        var energy = 0.0
        for (offset, sample) in zip(middle.indices, middle) {
            let phase = 2 * .pi * frequency * Double(offset) / 16_000
            inPhase += Double(sample) * sin(phase)
            quadrature += Double(sample) * cos(phase)
            energy += Double(sample * sample)
        }
        let toneShare = (inPhase * inPhase + quadrature * quadrature) / (energy * Double(middle.count) / 2)
        XCTAssertGreaterThan(toneShare, 0.99)
    }

    func test_mono_is_the_mean_of_the_channels() throws {
        let stereo = Audio(sampleRate: 8000, channels: 2, samples: [0.5, -0.5, 0.25, 0.75])
        let mono = try decodeThroughWAV(stereo, mono: true)
        XCTAssertEqual(mono.samples, [0, 0.5])
    }

    private func decodeThroughWAV(_ audio: Audio, sampleRate: Int? = nil, mono: Bool = false) throws -> Audio {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("braid-\(UUID()).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WAVEncoder.write(audio, to: path)
        return try decoder.decode(.file(path: path), id: path, sampleRate: sampleRate, mono: mono)
    }
}
