import Foundation
import XCTest

@testable import Braid

/// `braid sample`, `reconstruct`, `denoise`, `interpolate`, `score` and `embed` with the shipped generative models,
/// through the binary, run from another folder so the models are found by name: every PNG written decodes with
/// Braid's PNG decoder at the stated size, and bad requests fail with a clear error and no output file.
final class GenerativeCommandTests: XCTestCase {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("braid-generate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A digit-like stroke: a slanted bar, bright ink on black, 28×28.
    private func strokePNG(_ name: String, in folder: URL, slant: Int) throws -> URL {
        var pixels = [UInt8](repeating: 0, count: 28 * 28)
        for row in 5..<23 {
            let column = 14 + (row - 14) * slant / 6
            for offset in -1...1 { pixels[row * 28 + column + offset] = 230 }
        }
        let url = folder.appendingPathComponent(name)
        try Data(try PNGEncoder.encode(Image(width: 28, height: 28, channels: 1, bytes: pixels))).write(to: url)
        return url
    }

    private func run(_ arguments: [String], in directory: URL) throws -> BraidProcess.Result {
        try BraidProcess.run(arguments, directory: directory)
    }

    func testSampleWritesDigitsAsAGridOrOneFileEach() throws {
        let work = try folder()
        let grid = try run(["sample", "digits-vae", "--n", "4", "--seed", "3", "--out", "vae.png"], in: work)
        XCTAssertEqual(grid.status, 0, grid.stderrText)
        // 2 × 2 tiles of 28 pixels with 2-pixel gaps around and between.
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("vae.png")), [62, 62, 1])

        let sevens = try run(["sample", "digits-vqvae", "--n", "3", "--label", "7", "--out-dir", "sevens"], in: work)
        XCTAssertEqual(sevens.status, 0, sevens.stderrText)
        XCTAssertEqual(sevens.stdoutLines.count, 3)
        for name in ["0000.png", "0001.png", "0002.png"] {
            XCTAssertEqual(try decodedSize(work.appendingPathComponent("sevens/\(name)")), [28, 28, 1])
        }
        let again = try run(["sample", "digits-vqvae", "--n", "3", "--label", "7", "--out-dir", "again"], in: work)
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(
            try Data(contentsOf: work.appendingPathComponent("again/0002.png")),
            try Data(contentsOf: work.appendingPathComponent("sevens/0002.png")), "the same seed draws the same digit")
    }

    func testReconstructDenoiseInterpolateScoreAndEmbed() throws {
        let work = try folder()
        let one = try strokePNG("one.png", in: work, slant: 1)
        let seven = try strokePNG("seven.png", in: work, slant: 4)

        let reconstructed = try run(["reconstruct", "digits-ae", one.path, seven.path, "--out-dir", "recon"], in: work)
        XCTAssertEqual(reconstructed.status, 0, reconstructed.stderrText)
        XCTAssertEqual(reconstructed.stdoutLines.count, 2)
        XCTAssertTrue(reconstructed.stdoutLines[0].contains("recon/one.png"), reconstructed.stdoutLines[0])
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("recon/seven.png")), [28, 28, 1])

        let pairs = try run(
            ["denoise", "digits-dae", one.path, seven.path, "--add-noise", "--with-inputs", "--out", "pairs.png"],
            in: work)
        XCTAssertEqual(pairs.status, 0, pairs.stderrText)
        // Noisy input beside its output, two pairs: one row of 4 tiles.
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("pairs.png")), [122, 32, 1])

        let morph = try run(["interpolate", "digits-vae", one.path, seven.path, "--steps", "5", "--out", "m.png"], in: work)
        XCTAssertEqual(morph.status, 0, morph.stderrText)
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("m.png")), [152, 32, 1])

        let scored = try run(["score", "digits-vae", one.path, "--quiet"], in: work)
        XCTAssertEqual(scored.status, 0, scored.stderrText)
        let score = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(scored.stdoutLines[0].utf8)) as? [String: Any])
        let (negativeELBO, reconstruction, divergence) = (
            try XCTUnwrap(score["neg_elbo"] as? Double), try XCTUnwrap(score["bce"] as? Double),
            try XCTUnwrap(score["kl"] as? Double)
        )
        XCTAssertEqual(negativeELBO, reconstruction + divergence, accuracy: 1e-3 * negativeELBO)

        let embedded = try run(["embed", "--encoder", "image=digits-vae", one.path, "--quiet"], in: work)
        XCTAssertEqual(embedded.status, 0, embedded.stderrText)
        XCTAssertTrue(embedded.stdoutLines[0].contains("\"dim\":16"), embedded.stdoutLines[0])
    }

    func testBadRequestsFailClearlyAndWriteNoFile() throws {
        let work = try folder()
        let corrupt = work.appendingPathComponent("corrupt.png")
        try Data("\u{89}PNG\r\n\u{1A}\n broken".utf8).write(to: corrupt)
        let good = try strokePNG("good.png", in: work, slant: 2)

        let broken = try run(["reconstruct", "digits-ae", corrupt.path, "--out", "grid.png"], in: work)
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderrText.contains("corrupt.png"), broken.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("grid.png").path))

        // One bad file among good ones: the good one is still drawn, and the exit code says something failed.
        let mixed = try run(["reconstruct", "digits-ae", corrupt.path, good.path, "--out", "mixed.png"], in: work)
        XCTAssertEqual(mixed.status, 1)
        XCTAssertEqual(try decodedSize(work.appendingPathComponent("mixed.png")), [32, 32, 1])

        let autoencoder = try run(["sample", "digits-ae", "--out", "ae.png"], in: work)
        XCTAssertEqual(autoencoder.status, 1)
        XCTAssertTrue(autoencoder.stderrText.contains("no distribution to sample from"), autoencoder.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("ae.png").path))

        let labelled = try run(["sample", "digits-vae", "--label", "7", "--out", "vae.png"], in: work)
        XCTAssertEqual(labelled.status, 1)
        XCTAssertTrue(labelled.stderrText.contains("takes no label"), labelled.stderrText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("vae.png").path))

        let unknown = try run(["sample", "digits-vqvae", "--label", "x", "--out", "x.png"], in: work)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderrText.contains("not one of the prior's"), unknown.stderrText)

        let classifier = try run(["sample", "handwritten-digits", "--out", "c.png"], in: work)
        XCTAssertEqual(classifier.status, 1)
        XCTAssertTrue(classifier.stderrText.contains("not a generative one"), classifier.stderrText)

        let noise = try run(["denoise", "digits-vae", good.path, "--add-noise", "--out", "n.png"], in: work)
        XCTAssertEqual(noise.status, 1)
        XCTAssertTrue(noise.stderrText.contains("was not trained on noise"), noise.stderrText)
    }
}
