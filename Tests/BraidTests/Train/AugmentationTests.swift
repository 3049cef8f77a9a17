import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// The random distortions: seeded, within their ranges, and the identity when their ranges are empty.
final class AugmentationTests: XCTestCase {
    private var stillImage: ImageAugmentation {
        var augmentation = ImageAugmentation()
        augmentation.rotationDegrees = 0
        augmentation.scale = [1, 1]
        augmentation.shearDegrees = 0
        augmentation.translation = 0
        augmentation.elasticProbability = 0
        augmentation.noiseProbability = 0
        augmentation.erasingProbability = 0
        return augmentation
    }

    private func digit() -> [Float] { barImage(horizontal: true, seed: 3).floatSamples }

    func testImageAugmentationIsSeededAndEmptyRangesChangeNothing() {
        let original = digit()
        var (a, b, c) = (original, original, original)
        var rng = SeededRNG(seed: 1)
        ImageAugmentation().apply(to: &a, side: 28, rng: &rng)
        rng = SeededRNG(seed: 1)
        ImageAugmentation().apply(to: &b, side: 28, rng: &rng)
        rng = SeededRNG(seed: 2)
        ImageAugmentation().apply(to: &c, side: 28, rng: &rng)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(a, original)
        XCTAssertTrue(a.allSatisfy { (0...1).contains($0) })
        var still = original
        stillImage.apply(to: &still, side: 28, rng: &rng)
        XCTAssertEqual(still, original)
    }

    func testTranslationMovesTheImageAndErasingBlanksAPatch() {
        var shifting = stillImage
        shifting.translation = 1e-4  // shifts by less than a ten-thousandth of a pixel: bilinear keeps every value
        var image = digit()
        var rng = SeededRNG(seed: 4)
        shifting.apply(to: &image, side: 28, rng: &rng)
        for (a, b) in zip(image, digit()) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        var erasing = stillImage
        erasing.erasingProbability = 1
        erasing.erasingArea = [0.2, 0.2]
        var bright = [Float](repeating: 1, count: 28 * 28)
        erasing.apply(to: &bright, side: 28, rng: &rng)
        XCTAssertEqual(Double(bright.filter { $0 == 0 }.count), 0.2 * 784, accuracy: 25)
    }

    func testAChangeOfPenWidensOrThinsEveryStrokeByTheDrawnAmount() {
        // A vertical stroke three pixels wide, full ink, in an empty 9×9 field.
        let side = 9
        let stroke = (0..<side * side).map { (3...5).contains($0 % side) ? Float(1) : 0 }
        func widths(_ amount: Float) -> [Float] {
            var image = stroke
            ImageAugmentation.changePen(of: &image, side: side, by: amount)
            return (0..<side).map { x in image[4 * side + x] }
        }
        XCTAssertEqual(widths(1), [0, 0, 1, 1, 1, 1, 1, 0, 0], "a pixel more ink on each side")
        XCTAssertEqual(widths(-1), [0, 0, 0, 0, 1, 0, 0, 0, 0], "a pixel less on each side")
        XCTAssertEqual(widths(0.5), [0, 0, 0.5, 1, 1, 1, 0.5, 0, 0])
        XCTAssertEqual(widths(-0.25), [0, 0, 0, 0.75, 1, 0.75, 0, 0, 0])
        XCTAssertEqual(widths(0), stroke[(4 * side)..<(5 * side)].map { $0 })

        var always = stillImage
        always.penProbability = 1
        always.penChange = [0.3, 0.3]
        var image = digit()
        var rng = SeededRNG(seed: 5)
        always.apply(to: &image, side: 28, rng: &rng)
        var expected = digit()
        ImageAugmentation.changePen(of: &expected, side: 28, by: 0.3)
        XCTAssertEqual(image, expected)
        XCTAssertGreaterThan(image.reduce(0, +), digit().reduce(0, +), "a broader pen puts down more ink")
    }

    func testARecordWithoutPenSettingsTrainedWithoutAChangeOfPen() throws {
        var record = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Augmentation())) as! [String: Any]
        var image = record["image"] as! [String: Any]
        image["pen_probability"] = nil
        image["pen_change"] = nil
        record["image"] = image
        let decoded = try JSONDecoder().decode(
            Augmentation.self, from: JSONSerialization.data(withJSONObject: record))
        XCTAssertEqual(decoded, Augmentation())
        XCTAssertEqual(decoded.image.penProbability, 0)
    }

    func testNoiseLandsAtTheDrawnSignalToNoiseRatio() {
        var augmentation = AudioAugmentation()
        augmentation.noiseProbability = 1
        augmentation.noiseSNR = [10, 10]
        let clean = (0..<8000).map { 0.3 * sin(2 * Float.pi * 300 * Float($0) / 8000) }
        for seed: UInt64 in 1...4 {
            var noisy = clean
            var rng = SeededRNG(seed: seed)
            augmentation.addNoise(to: &noisy, sampleRate: 8000, rng: &rng)
            let signal = clean.reduce(0) { $0 + $1 * $1 }
            let noise = zip(noisy, clean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            XCTAssertEqual(10 * log10(signal / noise), 10, accuracy: 0.1, "seed \(seed)")
        }
    }

    func testSpeedChangesTheLengthAndPitchTogether() {
        var augmentation = AudioAugmentation()
        augmentation.speed = [1.25, 1.25]
        augmentation.gainDecibels = 0
        let tone = (0..<8000).map { sin(2 * Float.pi * 400 * Float($0) / 8000) }
        var rng = SeededRNG(seed: 1)
        let faster = augmentation.perturb(tone, sampleRate: 8000, rng: &rng)
        XCTAssertEqual(Double(faster.count), 6400, accuracy: 40, "played 1.25× faster: 0.8 s")
        // Zero crossings per second rise with the pitch: 400 Hz becomes 500 Hz.
        let crossings = zip(faster.dropFirst(), faster).filter { ($0 < 0) != ($1 < 0) }.count
        XCTAssertEqual(Double(crossings) / 0.8 / 2, 500, accuracy: 10)
    }

    func testSpecAugmentMasksWholeBandsAndFrames() {
        var augmentation = AudioAugmentation()
        augmentation.frequencyMasks = 1
        augmentation.frequencyMaskBands = 40
        augmentation.timeMasks = 0
        var spectrogram = [Float](repeating: 1, count: 40 * 98)
        var rng = SeededRNG(seed: 9)
        augmentation.mask(&spectrogram, bands: 40, frames: 98, rng: &rng)
        let maskedBands = (0..<40).filter { band in (0..<98).allSatisfy { spectrogram[band * 98 + $0] == 0 } }
        XCTAssertEqual(maskedBands.count * 98, spectrogram.filter { $0 == 0 }.count, "masks cover whole bands")
    }

    func testAnOverrideReplacesTheSettingsItNamesAndKeepsTheRest() throws {
        var defaults = Augmentation()
        defaults.image.rotationDegrees = 8
        let changed = try defaults.overridden(
            by: Data(#"{"image": {"erasing_area": [0.1, 0.3]}, "audio": {"time_masks": 3}}"#.utf8), source: "a.json")
        var expected = defaults
        expected.image.erasingArea = [0.1, 0.3]
        expected.audio.timeMasks = 3
        XCTAssertEqual(changed, expected, "the defaults given (rotation 8) stay where the file is silent")
    }

    func testAnOverrideThatCannotBeUsedSaysWhereAndWhy() {
        let cases: [(json: String, reason: String)] = [
            ("[1, 2]", "not a JSON object"),
            (#"{"image": {"erasing": 0.5}}"#, "unknown setting 'image.erasing'"),
            (#"{"video": {}}"#, "unknown setting 'video'"),
            (#"{"image": 0.5}"#, "'image' must be an object"),
            (#"{"image": {"erasing_probability": "half"}}"#, "'image.erasing_probability' must be a number"),
            (#"{"image": {"erasing_probability": 1.5}}"#, "'image.erasing_probability' must be a probability"),
            (#"{"image": {"scale": [1.1]}}"#, "'image.scale' must be [low, high]"),
            (#"{"image": {"erasing_area": [0.3, 0.1]}}"#, "'image.erasing_area' must be [low, high]"),
            (#"{"image": {"pen_change": [-2, 0.5]}}"#, "'image.pen_change' must be [low, high]"),
            (#"{"audio": {"noise_snr_db": [30, 5]}}"#, "'audio.noise_snr_db' must be [low, high]"),
            (#"{"audio": {"time_masks": -1}}"#, "'audio.time_masks' must be 0 or more"),
            (#"{"audio": {"time_masks": 2.5}}"#, "whole numbers"),
            (#"{"audio": {"speed": "fast"}}"#, "'audio.speed' must be a list of numbers"),
            (#"{"pairs": {"occlusion_probability": 2}}"#, "'pairs.occlusion_probability' must be a probability"),
            (#"{"pairs": {"occlusion_share": [0.7, 0.3]}}"#, "'pairs.occlusion_share' must be [low, high]"),
            (#"{"pairs": {"audio_snr": [0, 5]}}"#, "unknown setting 'pairs.audio_snr'"),
        ]
        for (json, reason) in cases {
            XCTAssertThrowsError(try Augmentation().overridden(by: Data(json.utf8), source: "a.json"), json) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.hasPrefix("a.json: "), message)
                XCTAssertTrue(message.contains(reason), "\(json): \(message)")
            }
        }
    }

    func testMasksWiderThanTheSpectrogramCoverItWithoutOverrunning() {
        var augmentation = AudioAugmentation()
        (augmentation.frequencyMaskBands, augmentation.timeMaskFrames) = (50, 50)
        var spectrogram = [Float](repeating: 1, count: 4 * 6)
        var rng = SeededRNG(seed: 3)
        for _ in 0..<20 { augmentation.mask(&spectrogram, bands: 4, frames: 6, rng: &rng) }
        XCTAssertTrue(spectrogram.contains(0), "the masks were applied")
    }

    func testPairDamageComesAtItsRatesWithinItsRanges() {
        var rng = SeededRNG(seed: 11)
        let mix = PairAugmentation()
        let draws = (0..<20_000).map { _ in mix.draw(rng: &rng) }
        func rate(_ happened: (PartCorruption) -> Bool) -> Double {
            Double(draws.filter(happened).count) / Double(draws.count)
        }
        XCTAssertEqual(rate { $0.imageNoise > 0 }, 0.5, accuracy: 0.015)
        XCTAssertEqual(rate { $0.imageOcclusion > 0 }, 0.25, accuracy: 0.015)
        XCTAssertEqual(rate { $0.audioSNR != nil }, 0.5, accuracy: 0.015)
        XCTAssertEqual(rate { $0.drop == .image }, 0.15, accuracy: 0.01)
        XCTAssertEqual(rate { $0.drop == .audio }, 0.15, accuracy: 0.01)
        XCTAssertTrue(draws.allSatisfy { $0.imageNoise <= 1.5 })
        XCTAssertTrue(draws.allSatisfy { $0.imageOcclusion == 0 || (0.3...0.7).contains($0.imageOcclusion) })
        XCTAssertTrue(draws.allSatisfy { (-15...20).contains($0.audioSNR ?? 0) })
    }

    func testAPairDamageThatNeverHappensDrawsNothing() {
        var never = PairAugmentation()
        (never.imageNoiseProbability, never.occlusionProbability) = (0, 0)
        (never.audioNoiseProbability, never.dropProbability) = (0, 0)
        var (rng, untouched) = (SeededRNG(seed: 5), SeededRNG(seed: 5))
        XCTAssertEqual(never.draw(rng: &rng), PartCorruption())
        XCTAssertEqual(rng.nextUniform(), untouched.nextUniform(), "the generator is where it was")
    }

    func testCaptionsTrainOnMildNoiseWithoutHiddenOrDroppedParts() {
        var rng = SeededRNG(seed: 2)
        let mix = CaptionTraining.defaultOptions.augmentation.pairs
        let draws = (0..<2_000).map { _ in mix.draw(rng: &rng) }
        XCTAssertTrue(draws.allSatisfy { $0.imageOcclusion == 0 && $0.drop == nil })
        XCTAssertTrue(draws.allSatisfy { $0.imageNoise <= 0.5 && ($0.audioSNR ?? 5) >= 5 })
        XCTAssertTrue(draws.contains { $0.imageNoise > 0 } && draws.contains { $0.audioSNR != nil })
    }

    func testARecordWithoutAGroupReadsWithItsDefaults() throws {
        let record = #"""
            {"image": {"rotation_degrees": 8, "scale": [0.9, 1.1], "shear_degrees": 8, "translation": 2,
             "elastic_probability": 0.25, "elastic_alpha": 34, "elastic_sigma": 4, "noise_probability": 0.15,
             "noise_deviation": 0.1, "erasing_probability": 0.1, "erasing_area": [0.02, 0.08]}}
            """#
        let old = try JSONDecoder().decode(Augmentation.self, from: Data(record.utf8))
        var expected = Augmentation()
        expected.image.rotationDegrees = 8
        XCTAssertEqual(old, expected)
    }
}
