import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// Multimodal items from input to the encoders' examples: records of parts, the decode stage's parts, the packing
/// of parts into training examples, and the corruptions of the robustness table.
final class MultimodalItemTests: XCTestCase {
    private let png = Fixtures.path("png/generated/grey-8bit.png")
    private let wav = Fixtures.path("wav/float32-mono-16000.wav")

    func testRecordsOfPartsBecomeItemsOfParts() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("parts-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        {"id": "p", "image": "a.png", "audio": "b.wav", "caption": "a handwritten 3 and a spoken 7"}
        {"image": "a.png"}
        {"id": "v", "video": "clip.mp4", "label": 4}
        {"id": "x", "path": "a.png", "audio": "b.wav"}
        """.write(to: file, atomically: true, encoding: .utf8)
        var elements: [Result<Item, ItemFailure>] = []
        for try await element in ItemSource(.records(file.path)) { elements.append(element) }
        XCTAssertEqual(
            elements[0],
            .success(
                Item(
                    id: "p",
                    source: .parts([
                        .init(modality: .image, name: "a.png", source: .file(path: "a.png")),
                        .init(modality: .audio, name: "b.wav", source: .file(path: "b.wav")),
                    ]), label: "a handwritten 3 and a spoken 7")))
        XCTAssertEqual(
            elements[1],
            .success(
                Item(
                    id: "a.png", source: .parts([.init(modality: .image, name: "a.png", source: .file(path: "a.png"))]))))
        XCTAssertEqual(
            elements[2],
            .success(
                Item(
                    id: "v", source: .parts([.init(modality: .video, name: "clip.mp4", source: .file(path: "clip.mp4"))]),
                    label: "4")))
        guard case .failure(let mixed) = elements[3] else { return XCTFail("a path and parts together must fail") }
        XCTAssertTrue(mixed.message.contains("line 4"), mixed.message)
    }

    func testImageAndAudioArgumentsAreOneItem() async throws {
        var items: [Item] = []
        for try await element in ItemSource(.parts(image: "a.png", audio: "b.wav")) { items.append(try element.get()) }
        XCTAssertEqual(items.map(\.id), ["a.png+b.wav"])
    }

    func testDecodeStageGivesEachPartItsMedia() throws {
        let decoder = MediaDecoder()
        let both = try decoder.decodeParts(
            Item(
                id: "pair",
                source: .parts([
                    .init(modality: .image, name: png, source: .file(path: png)),
                    .init(modality: .audio, name: wav, source: .file(path: wav)),
                ])))
        XCTAssertEqual(both.present, [.image, .audio])
        guard case .image(let image) = try decoder.decode(Item(id: png, source: .file(path: png))) else {
            return XCTFail("the fixture is an image")
        }
        XCTAssertEqual(both.image, image, "a part decodes as the file alone does")
        XCTAssertEqual(try decoder.decodeParts(Item(id: wav, source: .file(path: wav))).present, [.audio])
    }

    func testAPartOfTheWrongModalityFailsNamingItsFile() {
        let item = Item(id: "pair", source: .parts([.init(modality: .audio, name: png, source: .file(path: png))]))
        XCTAssertThrowsError(try MediaDecoder().decodeParts(item)) { error in
            XCTAssertEqual(
                (error as? DecodeError)?.description, "\(png): unsupported: given as the item's audio, but it is image")
        }
        let text = Item(id: "note", source: .text("seven"))
        XCTAssertThrowsError(try MediaDecoder().decodeParts(text)) { error in
            XCTAssertEqual((error as? DecodeError)?.description, "note: unsupported: text has no image or sound to fuse")
        }
        XCTAssertThrowsError(try MediaDecoder().decode(item)) { error in
            XCTAssertTrue("\(error)".contains("fuse it"), "\(error)")
        }
    }

    func testAVideoGivesItsMiddleFrameAndItsSoundtrack() throws {
        var options = MediaDecoder.Options()
        options.video.sampling = FrameSampling(.fps(5))
        let decoder = MediaDecoder(options: options)
        let path = Fixtures.path("video/h264-aac.mp4")
        guard case .video(let video) = try decoder.decode(Item(id: path, source: .file(path: path))) else {
            return XCTFail("the fixture is a video")
        }
        let parts = try decoder.decodeParts(Item(id: path, source: .file(path: path)))
        XCTAssertGreaterThan(video.frames.count, 2)
        XCTAssertEqual(parts.image, video.frames[video.frames.count / 2].image)
        XCTAssertEqual(parts.audio, video.audio)
        let silent = Fixtures.path("video/h264-gop5-noaudio.mp4")
        XCTAssertEqual(try decoder.decodeParts(Item(id: silent, source: .file(path: silent))).present, [.image])
    }

    func testPairExamplesRoundTripWithMissingParts() {
        for parts in [
            PartExamples(image: [0.5, 1], audio: [0.1, 0.2, 0.3]), PartExamples(image: [1, 2, 3]),
            PartExamples(audio: [4]),
        ] {
            XCTAssertEqual(PairExample.parts(of: PairExample.values(of: parts)), parts)
        }
    }

    func testCorruptionsDoWhatTheyName() {
        var rng = SeededRNG(seed: 1)
        let side = 10
        let clean = PartExamples(
            image: [Float](repeating: 1, count: side * side),
            audio: (0..<8000).map { sin(Float($0) * 0.3) })
        // A part is dropped only when the other is there.
        let dropped = PartCorruption(drop: .image).apply(to: clean, side: side, sampleRate: 8000, rng: &rng)
        XCTAssertEqual(dropped.present, [.audio])
        let alone = PartExamples(image: clean.image)
        XCTAssertEqual(PartCorruption(drop: .image).apply(to: alone, side: side, sampleRate: 8000, rng: &rng), alone)
        // An occluding square of half the side hides a quarter of the pixels.
        let occluded = PartCorruption(imageOcclusion: 0.5).apply(to: clean, side: side, sampleRate: 8000, rng: &rng)
        XCTAssertEqual(occluded.image?.filter { $0 == 0 }.count, 25)
        // White noise 10 dB below the signal.
        let noisy = PartCorruption(audioSNR: 10).apply(to: clean, side: side, sampleRate: 8000, rng: &rng)
        let signal = clean.audio!.reduce(0) { $0 + $1 * $1 }
        let noise = zip(noisy.audio!, clean.audio!).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        XCTAssertEqual(10 * log10(signal / noise), 10, accuracy: 0.3)
    }
}
