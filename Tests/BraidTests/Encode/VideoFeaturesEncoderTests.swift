import XCTest

@testable import Braid

final class VideoFeaturesEncoderTests: XCTestCase {
    private let encoder = VideoFeaturesEncoder(frames: ImageFeaturesEncoder(), soundtrack: LogMelEncoder())
    private typealias Support = EncodeTestSupport

    private func video(_ images: [Image], audio: Audio?) -> Video {
        let frames = images.enumerated().map { index, image in
            VideoFrame(index: index, timestamp: Double(index) / 2, isKeyFrame: index == 0, image: image)
        }
        return Video(frames: frames, audio: audio, frameRate: 2, duration: Double(images.count) / 2)
    }

    private let scene = Support.render(width: 64, height: 48, Support.landscape)
    private let other = Support.render(width: 64, height: 48, Support.checkerboard)
    private let sound = Support.tone(frequency: 440, amplitude: 0.5, sampleRate: 8000, count: 8000)

    func test_given_video_with_sound_then_vector_joins_pooled_frames_and_soundtrack_equally() throws {
        let vector = try encoder.encode(.video(video([scene, scene], audio: sound)))
        XCTAssertEqual(vector.count, 434)
        XCTAssertEqual(encoder.dimension, 434)
        XCTAssertEqual(Support.length(vector), 1, accuracy: 1e-5)
        let image = try ImageFeaturesEncoder().encode(.image(scene))
        let audio = try LogMelEncoder().encode(.audio(sound))
        let half = Float(0.5).squareRoot()
        for index in 0..<273 { XCTAssertEqual(vector[index], half * image[index], accuracy: 1e-6) }
        for index in 0..<160 { XCTAssertEqual(vector[273 + index], half * audio[index], accuracy: 1e-6) }
        XCTAssertEqual(vector[433], 0)
    }

    func test_given_soundtrack_summary_then_vector_equals_the_one_from_samples() throws {
        let fromSamples = try encoder.encode(.video(video([scene], audio: sound)))
        var summarised = video([scene], audio: nil)
        summarised.audioSummary = AudioSummary(
            reducer: "logmel", sampleRate: 8000, channels: 1, frameCount: sound.frameCount,
            values: try LogMelEncoder().encode(.audio(sound)))
        XCTAssertEqual(try encoder.encode(.video(summarised)), fromSamples)
        summarised.audioSummary?.reducer = "other"
        XCTAssertThrowsError(try encoder.encode(.video(summarised)))
    }

    func test_given_video_without_sound_then_flag_is_set_and_soundtrack_block_is_zero() throws {
        let silentFilm = try encoder.encode(.video(video([scene], audio: nil)))
        XCTAssertEqual(silentFilm[273..<433].map(abs).max(), 0)
        XCTAssertEqual(silentFilm[433], Float(0.5).squareRoot(), accuracy: 1e-6)
        let withSound = try encoder.encode(.video(video([scene], audio: sound)))
        // Only the frames' half is shared.
        XCTAssertEqual(Support.cosine(silentFilm, withSound), 0.5, accuracy: 1e-5)
    }

    func test_given_frames_then_they_are_mean_pooled() throws {
        let mixed = try encoder.encode(.video(video([scene, other], audio: nil)))
        let images = try ImageFeaturesEncoder().encode([.image(scene), .image(other)])
        let mean = zip(images[0], images[1]).map { ($0 + $1) / 2 }
        let meanLength = Float(Support.length(mean))
        let half = Float(0.5).squareRoot()
        for index in 0..<273 { XCTAssertEqual(mixed[index], half * mean[index] / meanLength, accuracy: 1e-6) }
        let sceneOnly = try encoder.encode(.video(video([scene, scene], audio: nil)))
        let otherOnly = try encoder.encode(.video(video([other], audio: nil)))
        XCTAssertGreaterThan(Support.cosine(sceneOnly, mixed), Support.cosine(sceneOnly, otherOnly))
    }

    func test_given_video_with_neither_frames_nor_sound_then_encode_throws() {
        XCTAssertThrowsError(try encoder.encode(.video(video([], audio: nil)))) { error in
            XCTAssertEqual(
                error as? EncodeError,
                .nothingToEncode(encoder: "video", reason: "the video has neither frames nor an audio track"))
        }
    }
}
