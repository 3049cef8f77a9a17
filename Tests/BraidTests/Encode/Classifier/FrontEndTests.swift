import Foundation
import XCTest

@testable import Braid

/// The classifiers' front ends: any image to an MNIST-style digit, any sound to a log-mel window.
final class FrontEndTests: XCTestCase {
    private let digits = DigitImageFrontEnd()

    /// Dark ink (an L shape) on white paper, `width`×`height`, the ink's box at (left, top).
    private func paperDigit(width: Int, height: Int, left: Int, top: Int, ink: Int) -> Image {
        var pixels = [UInt8](repeating: 240, count: width * height)
        for y in top..<top + ink { for x in left..<left + ink / 5 { pixels[y * width + x] = 20 } }
        for x in left..<left + ink { for y in top + ink - ink / 5..<top + ink { pixels[y * width + x] = 20 } }
        return Image(width: width, height: height, channels: 1, bytes: pixels)
    }

    func testADigitOnPaperIsInvertedScaledAndCentredByMass() throws {
        let field = try digits.example(
            from: .image(paperDigit(width: 300, height: 200, left: 30, top: 40, ink: 100)), encoder: "t")
        XCTAssertEqual(field.count, 28 * 28)
        var (mass, sumX, sumY) = (Float(0), Float(0), Float(0))
        var (left, right, top, bottom) = (28, -1, 28, -1)
        for y in 0..<28 {
            for x in 0..<28 {
                let value = field[y * 28 + x]
                (mass, sumX, sumY) = (mass + value, sumX + value * (Float(x) + 0.5), sumY + value * (Float(y) + 0.5))
                if value > 0.2 {
                    (left, right, top, bottom) = (min(left, x), max(right, x), min(top, y), max(bottom, y))
                }
            }
        }
        XCTAssertEqual(max(right - left + 1, bottom - top + 1), 20, "the ink's longer side fills the 20-pixel box")
        XCTAssertEqual(sumX / mass, 14, accuracy: 0.5, "centre of mass at the centre, to a whole pixel")
        XCTAssertEqual(sumY / mass, 14, accuracy: 0.5)
        XCTAssertEqual(field[0], 0, "the paper becomes the dark field")
        XCTAssertGreaterThan(field.max() ?? 0, 0.9, "the ink becomes bright")
    }

    func testAnMNISTStyleDigitKeepsItsFormAndAnOffCentreOneIsCentred() throws {
        // A bar 20 pixels long, centred: already in MNIST's form, so it comes back as it was.
        var centred = [UInt8](repeating: 0, count: 28 * 28)
        for y in 4..<24 { for x in 13..<16 { centred[y * 28 + x] = 255 } }
        let digit = Image(width: 28, height: 28, channels: 1, bytes: centred)
        XCTAssertEqual(try digits.example(from: .image(digit), encoder: "t"), digit.floatSamples)
        // Dark on light, in a corner, filling less of the field: inverted, scaled to 20 pixels, centred.
        var corner = [UInt8](repeating: 255, count: 28 * 28)
        for y in 1..<11 { for x in 1..<3 { corner[y * 28 + x] = 0 } }
        let moved = try digits.example(
            from: .image(Image(width: 28, height: 28, channels: 1, bytes: corner)), encoder: "t")
        let rows = (0..<28).filter { y in (0..<28).contains { moved[y * 28 + $0] > 0.2 } }
        XCTAssertEqual(rows.count, 20)
        XCTAssertEqual(Double((rows.first ?? 0) + (rows.last ?? 0) + 1) / 2, 14, accuracy: 1, "centred: rows \(rows)")
    }

    func testTransparentBackgroundIsPaperAndBlankImagesAreErrors() throws {
        // Black ink on a transparent canvas: composited over white, as a page shows it.
        var rgba = [UInt8](repeating: 0, count: 40 * 40 * 4)
        for y in 10..<30 { for x in 18..<22 { rgba[(y * 40 + x) * 4 + 3] = 255 } }
        let field = try digits.example(
            from: .image(Image(width: 40, height: 40, channels: 4, bytes: rgba)), encoder: "t")
        XCTAssertGreaterThan(field.max() ?? 0, 0.9)
        XCTAssertEqual(field[0], 0)
        let blank = Image(width: 50, height: 50, channels: 3, bytes: [UInt8](repeating: 255, count: 50 * 50 * 3))
        XCTAssertThrowsError(try digits.example(from: .image(blank), encoder: "t")) { error in
            guard case .nothingToEncode(_, let reason)? = error as? EncodeError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("blank"), reason)
        }
        XCTAssertThrowsError(try digits.example(from: .text(Text(string: "7", encoding: .utf8)), encoder: "t"))
    }

    func testTheSoundWindowIsCentredOnTheWordAndRelativeToItsLoudest() throws {
        let frontEnd = LogMelFrontEnd()
        // 3 s at 8 kHz: silence, then a 0.3 s tone from 2.0 s.
        var samples = [Float](repeating: 0, count: 24_000)
        for index in 16_000..<18_400 { samples[index] = 0.5 * sin(2 * .pi * 440 * Float(index) / 8000) }
        let window = frontEnd.window(of: samples)
        XCTAssertEqual(window.count, 8000)
        let energy = window.map { $0 * $0 }
        let centre = zip(energy.indices, energy).reduce(Float(0)) { $0 + Float($1.0) * $1.1 } / energy.reduce(0, +)
        XCTAssertEqual(centre, 4000, accuracy: 100, "the tone sits in the middle of the window")
        XCTAssertEqual(frontEnd.window(of: samples, shift: 800)[4800], window[4000], "a shift moves the window")

        let spectrogram = try frontEnd.spectrogram(ofWindow: window, encoder: "t")
        XCTAssertEqual(frontEnd.inputShape, [1, 40, 98])
        XCTAssertEqual(spectrogram.count, 40 * 98)
        XCTAssertEqual(spectrogram.max() ?? 0, 2, accuracy: 1e-6, "the loudest value is 2")
        XCTAssertEqual(spectrogram.min() ?? 0, -2, accuracy: 1e-2, "80 dB down and below (the silence) is -2")
        let louder = try frontEnd.spectrogram(ofWindow: window.map { $0 * 4 }, encoder: "t")
        XCTAssertLessThan(
            zip(spectrogram, louder).map { abs($0 - $1) }.max() ?? 1, 1e-4,
            "the level does not matter, silence included")
        // The same word with more silence around it, in a shorter recording: its values do not move.
        let shorter = Array(samples[15_000..<19_400])
        let alone = try frontEnd.spectrogram(ofWindow: frontEnd.window(of: shorter), encoder: "t")
        let middle = (0..<40).map { band in spectrogram[band * 98 + 49] }
        let middleAlone = (0..<40).map { band in alone[band * 98 + 49] }
        XCTAssertLessThan(zip(middle, middleAlone).map { abs($0 - $1) }.max() ?? 1, 0.05)
        XCTAssertTrue(
            try frontEnd.spectrogram(ofWindow: [Float](repeating: 0, count: 8000), encoder: "t").allSatisfy(\.isFinite))
    }

    func testAudioIsMixedAndResampledToTheModelsRate() throws {
        let stereo = Audio(sampleRate: 16_000, channels: 2, samples: (0..<32_000).map { Float($0 % 2) * 0.5 })
        let example = try LogMelFrontEnd().example(from: .audio(stereo), id: "clip", encoder: "t")
        XCTAssertEqual(Double(example.count), 8000, accuracy: 40)
        XCTAssertEqual(example[4000], 0.25, accuracy: 1e-3, "the channel average")
    }
}
