import Foundation
import XCTest

@testable import Braid

final class LogMelEncoderTests: XCTestCase {
    private let encoder = LogMelEncoder()

    private struct Reference: Decodable {
        struct Filterbank: Decodable {
            struct Band: Decodable {
                let first_bin: Int
                let weights: [Float]
            }
            let sample_rate: Int
            let fft_size: Int
            let bands: [Band]
        }
        struct Case: Decodable {
            let sample_rate: Int
            let sample_count: Int
            let frame_count: Int
            let log_mel: [Float]
            let statistics: [Float]
        }
        let filterbank: Filterbank
        let cases: [Case]
    }

    /// librosa's values for the same recipe (scripts/make-logmel-reference.py).
    private func reference() throws -> Reference {
        let data = try Data(contentsOf: EncodeTestSupport.fixture("logmel-reference.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    /// The log-mel spectrogram (step 4), `(count, 40)` row-major, as the statistics see it frame by frame.
    private func logMelFrames(of audio: Audio) throws -> (values: [Float], count: Int) {
        let statistics = try LogMelStatistics(
            analysis: LogMelAnalysis(sampleRate: audio.sampleRate), channels: audio.channels, encoder: "logmel")
        var values: [Float] = []
        statistics.frameObserver = { values.append(contentsOf: $0) }
        audio.samples.withUnsafeBufferPointer { statistics.consume($0) }
        _ = statistics.finish()
        return (values, values.count / LogMelEncoder.bandCount)
    }

    /// The signal of the reference script: a 440 Hz tone plus a 1500 Hz tone fading in.
    private func referenceSignal(sampleRate: Int, count: Int) -> Audio {
        let samples = (0..<count).map { index -> Float in
            let n = Double(index)
            let tone = 0.5 * sin(2 * Double.pi * 440 * n / Double(sampleRate))
            let fading = 0.3 * (n / Double(count)) * sin(2 * Double.pi * 1500 * n / Double(sampleRate) + 0.3)
            return Float(tone + fading)
        }
        return Audio(sampleRate: sampleRate, channels: 1, samples: samples)
    }

    func test_given_8kHz_analysis_then_mel_filterbank_matches_librosa() throws {
        let expected = try reference().filterbank
        let analysis = LogMelAnalysis(sampleRate: expected.sample_rate)
        XCTAssertEqual(analysis.fftSize, expected.fft_size)
        XCTAssertEqual(analysis.window.count, 200)
        XCTAssertEqual(analysis.hopLength, 80)
        XCTAssertEqual(analysis.filterbank.bands.count, expected.bands.count)
        for (index, (band, expectedBand)) in zip(analysis.filterbank.bands, expected.bands).enumerated() {
            XCTAssertEqual(band.firstBin, expectedBand.first_bin, "band \(index)")
            XCTAssertEqual(band.weights.count, expectedBand.weights.count, "band \(index)")
            for (weight, expectedWeight) in zip(band.weights, expectedBand.weights) {
                XCTAssertEqual(weight, expectedWeight, accuracy: 1e-6 * expectedWeight + 1e-9, "band \(index)")
            }
        }
    }

    func test_given_reference_signals_then_log_mel_frames_and_statistics_match_librosa() throws {
        let cases = try reference().cases
        XCTAssertEqual(cases.map(\.sample_rate), [8000, 22050, 16000])
        for expected in cases {
            let audio = referenceSignal(sampleRate: expected.sample_rate, count: expected.sample_count)
            let frames = try logMelFrames(of: audio)
            XCTAssertEqual(frames.count, expected.frame_count, "\(expected.sample_rate) Hz")
            XCTAssertEqual(frames.values.count, expected.log_mel.count, "\(expected.sample_rate) Hz")
            // Float32 FFT against float64 librosa: measured worst differences are 7e-5 (8 kHz), 6e-5 (22.05 kHz)
            // and 1e-6 (16 kHz); a wrong window, bin or band shifts values by far more than 5e-4.
            let worst = zip(frames.values, expected.log_mel).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 5e-4, "\(expected.sample_rate) Hz: worst log-mel difference \(worst)")

            let vector = try encoder.encode(.audio(audio))
            XCTAssertEqual(vector.count, 160)
            for (index, (value, expectedValue)) in zip(vector, expected.statistics).enumerated() {
                XCTAssertEqual(value, expectedValue, accuracy: 1e-4, "\(expected.sample_rate) Hz, value \(index)")
            }
        }
    }

    func test_given_clip_shorter_than_window_then_one_zero_padded_frame_is_used() throws {
        let audio = EncodeTestSupport.tone(frequency: 1000, amplitude: 0.5, sampleRate: 16000, count: 100)
        let frames = try logMelFrames(of: audio)
        XCTAssertEqual(frames.count, 1)
        let vector = try encoder.encode(.audio(audio))
        XCTAssertEqual(EncodeTestSupport.length(vector), 1, accuracy: 1e-5)
        // One frame: no spread over time and no deltas, only the spectral shape.
        XCTAssertEqual(vector[40..<160].map(abs).max(), 0)
    }

    func test_given_silence_or_empty_clip_then_vector_is_all_zeros() throws {
        for count in [0, 4000] {
            let silence = Audio(sampleRate: 8000, channels: 1, samples: [Float](repeating: 0, count: count))
            XCTAssertEqual(try encoder.encode(.audio(silence)), [Float](repeating: 0, count: 160))
        }
    }

    func test_given_tone_then_louder_tone_scores_higher_than_white_noise() throws {
        let sampleRate = 16000
        let count = 8000
        let tone = try encoder.encode(
            .audio(EncodeTestSupport.tone(frequency: 440, amplitude: 0.5, sampleRate: sampleRate, count: count)))
        let quieter = try encoder.encode(
            .audio(EncodeTestSupport.tone(frequency: 440, amplitude: 0.1, sampleRate: sampleRate, count: count)))
        let noise = try encoder.encode(
            .audio(EncodeTestSupport.noise(amplitude: 0.3, sampleRate: sampleRate, count: count)))
        for vector in [tone, quieter, noise] {
            XCTAssertEqual(EncodeTestSupport.length(vector), 1, accuracy: 1e-5)
        }
        let sameTone = EncodeTestSupport.cosine(tone, quieter)
        let toneAndNoise = EncodeTestSupport.cosine(tone, noise)
        XCTAssertGreaterThan(sameTone, 0.9)
        XCTAssertGreaterThan(sameTone - toneAndNoise, 0.3)
        XCTAssertEqual(
            try encoder.encode(
                .audio(EncodeTestSupport.tone(frequency: 440, amplitude: 0.5, sampleRate: sampleRate, count: count))),
            tone)
    }

    func test_given_samples_in_pieces_of_any_size_then_vector_equals_whole_clip() throws {
        let left = EncodeTestSupport.tone(frequency: 440, amplitude: 0.4, sampleRate: 8000, count: 12345).samples
        let right = EncodeTestSupport.noise(amplitude: 0.2, sampleRate: 8000, count: 12345).samples
        let stereo = Audio(sampleRate: 8000, channels: 2, samples: zip(left, right).flatMap { [$0, $1] })
        let whole = try encoder.encode(.audio(stereo))
        // Pieces shorter than a hop, than a window, and longer than both, none dividing the clip evenly.
        for frames in [1, 7, 150, 333, 4096] {
            let reduction = try encoder.makeReduction(sampleRate: 8000, channels: 2)
            stereo.samples.withUnsafeBufferPointer { samples in
                for start in stride(from: 0, to: samples.count, by: frames * 2) {
                    reduction.consume(
                        UnsafeBufferPointer(rebasing: samples[start..<min(start + frames * 2, samples.count)]))
                }
            }
            XCTAssertEqual(reduction.finish(), whole, "pieces of \(frames) frames")
        }
    }

    func test_given_stereo_clip_then_it_embeds_as_its_channel_average() throws {
        let left = EncodeTestSupport.tone(frequency: 440, amplitude: 0.4, sampleRate: 8000, count: 4000).samples
        let right = EncodeTestSupport.noise(amplitude: 0.2, sampleRate: 8000, count: 4000).samples
        let stereo = Audio(sampleRate: 8000, channels: 2, samples: zip(left, right).flatMap { [$0, $1] })
        let mono = Audio(sampleRate: 8000, channels: 1, samples: zip(left, right).map { ($0 + $1) / 2 })
        XCTAssertEqual(try encoder.encode(.audio(stereo)), try encoder.encode(.audio(mono)))
    }

    func test_given_concurrent_tasks_at_several_sample_rates_then_vectors_equal_sequential_ones() async throws {
        let clips = [8000, 16000, 22050, 44100, 8000, 16000, 22050, 44100].enumerated().map { index, rate in
            EncodeTestSupport.tone(
                frequency: 300 + 100 * Double(index), amplitude: 0.5, sampleRate: rate, count: rate / 4)
        }
        let sequential = try clips.map { try LogMelEncoder().encode(.audio($0)) }
        // One shared encoder: its per-rate tables are built while tasks race for them.
        let shared = LogMelEncoder()
        let concurrent = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, clip) in clips.enumerated() {
                group.addTask { (index, try shared.encode(.audio(clip))) }
            }
            var vectors = [[Float]](repeating: [], count: clips.count)
            for try await (index, vector) in group { vectors[index] = vector }
            return vectors
        }
        XCTAssertEqual(concurrent, sequential)
    }

    /// Takes 0-2 of digits 0-9 from two FSDD speakers: recordings of the same digit should be nearer on average.
    func test_given_spoken_digits_then_same_digit_pairs_are_closer_than_different_digit_pairs() throws {
        let folder = try EncodeTestSupport.fsddRecordings()
        var embedded: [(digit: Int, vector: [Float])] = []
        for speaker in ["jackson", "theo"] {
            for digit in 0..<10 {
                for take in 0..<3 {
                    let audio = try EncodeTestSupport.readWAV(
                        folder.appendingPathComponent("\(digit)_\(speaker)_\(take).wav"))
                    embedded.append((digit, try encoder.encode(.audio(audio))))
                }
            }
        }
        var same: [Double] = []
        var different: [Double] = []
        for first in embedded.indices {
            for second in embedded.indices where second > first {
                let similarity = EncodeTestSupport.cosine(embedded[first].vector, embedded[second].vector)
                if embedded[first].digit == embedded[second].digit {
                    same.append(similarity)
                } else {
                    different.append(similarity)
                }
            }
        }
        let sameMean = same.reduce(0, +) / Double(same.count)
        let differentMean = different.reduce(0, +) / Double(different.count)
        XCTAssertGreaterThan(sameMean - differentMean, 0.05, "same \(sameMean), different \(differentMean)")
    }
}
