import BraidTensor
import XCTest

@testable import Braid

/// The pieces of the generative objectives whose gradients the training relies on, against finite differences, and
/// the straight-through estimator against its definition (it is not the true gradient, which is zero almost
/// everywhere).
final class GenerativeGradientTests: XCTestCase {
    func testReparameterisationGradientsMatchFiniteDifferences() {
        var rng = SeededRNG(seed: 3)
        let mean = Tensor.randomNormal([4, 3], using: &rng)
        let logVariance = Tensor.randomUniform([4, 3], low: -1, high: 1, using: &rng)
        let noise = Tensor.randomNormal([4, 3], using: &rng)
        let report = GradCheck.check([mean, logVariance], step: 1e-2) { inputs in
            VariationalAutoencoder.reparameterise(mean: inputs[0], logVariance: inputs[1], noise: noise)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testKLDivergenceMatchesItsClosedFormAndFiniteDifferences() {
        var rng = SeededRNG(seed: 4)
        let mean = Tensor.randomNormal([3, 5], using: &rng)
        let logVariance = Tensor.randomUniform([3, 5], low: -1.5, high: 1.5, using: &rng)
        let report = GradCheck.check([mean, logVariance], step: 1e-2) { inputs in
            VariationalAutoencoder.klDivergence(mean: inputs[0], logVariance: inputs[1])
        }
        XCTAssertTrue(report.passed, "\(report)")
        // KL(N(µ, σ²) ‖ N(0, 1)) = ½(µ² + σ² − 1 − log σ²) per dimension, summed.
        let expected = zip(mean.scalars, logVariance.scalars).reduce(0.0) { sum, pair in
            let (mu, logVar) = (Double(pair.0), Double(pair.1))
            return sum + 0.5 * (mu * mu + exp(logVar) - 1 - logVar)
        }
        XCTAssertEqual(
            Double(VariationalAutoencoder.klDivergence(mean: mean, logVariance: logVariance).item), expected,
            accuracy: 1e-4 * abs(expected))
        let standard = VariationalAutoencoder.klDivergence(mean: .zeros([2, 4]), logVariance: .zeros([2, 4]))
        XCTAssertEqual(standard.item, 0, "N(0, I) is no distance from itself")
    }

    func testStraightThroughPassesGradientsUnchangedAndCodesLearnByTheCodebookLoss() throws {
        let quantizer = try VectorQuantizer(
            scope: .initializing(seed: 5), count: 6, dimension: 4, learnsByGradient: true)
        var rng = SeededRNG(seed: 6)
        let vectors = Tensor.randomNormal([5, 4], standardDeviation: 0.05, using: &rng)
        vectors.requiresGrad = true
        let weights = Tensor.randomUniform([5, 4], low: -1, high: 1, using: &rng)
        let output = quantizer(vectors)
        // Forwards: each row is its nearest code.
        let codebook = quantizer.codebook.scalars
        for (row, code) in output.codes.enumerated() {
            let distances = (0..<6).map { candidate in
                (0..<4).reduce(Float(0)) { sum, column in
                    let difference = vectors.scalars[row * 4 + column] - codebook[candidate * 4 + column]
                    return sum + difference * difference
                }
            }
            XCTAssertEqual(code, distances.indices.min { distances[$0] < distances[$1] })
            assertClose(
                Array(output.quantized.scalars[row * 4..<row * 4 + 4]), Array(codebook[code * 4..<code * 4 + 4]),
                accuracy: 1e-6)
        }
        // Backwards: d(Σ w·q)/dz = w, as if quantisation were the identity.
        (output.quantized * weights).sum().backward()
        assertClose(vectors.grad?.scalars ?? [], weights.scalars, accuracy: 1e-6)

        // The codebook loss moves only the codes, the commitment loss only the outputs: each against finite
        // differences in what it moves, the assignment held fixed by small steps.
        let codebookReport = GradCheck.check([quantizer.codebook], step: 1e-3, absoluteTolerance: 1e-4) { inputs in
            quantizer(vectors).codebookLoss
        }
        XCTAssertTrue(codebookReport.passed, "\(codebookReport)")
        let commitmentReport = GradCheck.check([vectors], step: 1e-3, absoluteTolerance: 1e-4) { inputs in
            quantizer(inputs[0]).commitmentLoss
        }
        XCTAssertTrue(commitmentReport.passed, "\(commitmentReport)")
    }
}

/// Element by element, within `accuracy`.
func assertClose(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
