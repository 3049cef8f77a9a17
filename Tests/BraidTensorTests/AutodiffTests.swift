import CTensorKernels
import Foundation
import XCTest

@testable import BraidTensor

final class AutodiffTests: XCTestCase {
    func testNoGradRecordsNoTape() {
        let weight = randomTensor([3, 3], seed: 1)
        weight.requiresGrad = true
        let output = withNoGrad { Tensor.matmul(randomTensor([2, 3], seed: 2), weight).gelu().sum() }
        XCTAssertNil(output.gradNode)
        XCTAssertFalse(output.requiresGrad)
        let recorded = Tensor.matmul(randomTensor([2, 3], seed: 2), weight).gelu().sum()
        XCTAssertNotNil(recorded.gradNode)
        XCTAssertEqual(recorded.item, output.item)
    }

    func testConstantsRecordNothingEvenWithGradModeOn() {
        let output = randomTensor([4], seed: 3).exp() * 2
        XCTAssertNil(output.gradNode)
    }

    func testGradientsAccumulateOverSharedUsesAndCalls() {
        let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        // d/dx Σ (x·x + x) = 2x + 1
        (x * x + x).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [3, 5, 7])
        // A second backward adds to .grad until it is cleared.
        (x * 2).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [5, 7, 9])
    }

    func testDeepGraphBacksUpWithoutRecursion() {
        let x = Tensor([0.5], shape: [1], requiresGrad: true)
        var y = x
        for _ in 0..<50_000 { y = y * 1.0001 }
        y.sum().backward()
        let expected = Foundation.pow(1.0001, 50_000.0)
        XCTAssertEqual(Double(x.grad?.item ?? 0), expected, accuracy: expected * 1e-3)
    }

    func testDetachedStopsGradient() {
        let x = Tensor([2, -1], shape: [2], requiresGrad: true)
        (x * x.detached()).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [2, -1])
    }

    func testGradCheckCatchesAWrongGradient() {
        // x · detached(x) has true derivative 2x but backward reports x: the check must fail.
        let report = GradCheck.check([Tensor([1, 2, 3], shape: [3])]) { $0[0] * $0[0].detached() }
        XCTAssertFalse(report.passed, report.description)
    }

    func testFusedLinearActivationMatchesUnfused() {
        let x = randomTensor([4, 6], seed: 4)
        let weight = randomTensor([5, 6], seed: 5)
        let bias = randomTensor([5], seed: 6)
        let fused = withNoGrad { Tensor.linear(x, weight: weight, bias: bias, activation: .silu) }
        let unfused = (Tensor.matmul(x, weight, transposeB: true) + bias).silu()
        assertClose(fused, unfused, tolerance: 1e-5)
    }
}

/// Plain forward values checked by hand, so the ops are right and not merely self-consistent.
final class ForwardValueTests: XCTestCase {
    func testBroadcastArithmeticValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let row = Tensor([10, 20, 30], shape: [3])
        let column = Tensor([2, 4], shape: [2, 1])
        XCTAssertEqual((a + row).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((a * column).scalars, [2, 4, 6, 16, 20, 24])
        XCTAssertEqual((a / column).scalars, [0.5, 1, 1.5, 1, 1.25, 1.5])
        XCTAssertEqual((column - row).shape, [2, 3])
        XCTAssertEqual((column - row).scalars, [-8, -18, -28, -6, -16, -26])
    }

    func testReductionsAndMovementValues() {
        let a = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3])
        XCTAssertEqual(a.sum(axes: [0]).scalars, [5, 7, 9])
        XCTAssertEqual(a.mean(axes: [1]).scalars, [3, 4])
        XCTAssertEqual(a.max(axis: 1).scalars, [5, 6])
        XCTAssertEqual(a.argmax(axis: 1), [1, 2])
        XCTAssertEqual(a.argmax(axis: 0), [1, 0, 1])
        XCTAssertEqual(a.argmin(axis: -1), [0, 1])
        XCTAssertEqual(a.transposed().scalars, [1, 4, 5, 2, 3, 6])
        XCTAssertEqual(a.sliced(axis: 1, 1..<3).scalars, [5, 3, 2, 6])
        XCTAssertEqual(Tensor.concatenate([a, a.sliced(axis: 1, 0..<1)], axis: 1).scalars, [1, 5, 3, 1, 4, 2, 6, 4])
        XCTAssertEqual(a.gatheringRows([1, 1, 0]).scalars, [4, 2, 6, 4, 2, 6, 1, 5, 3])
        XCTAssertEqual(a.sortedDescending().scalars, [5, 3, 1, 6, 4, 2])
        XCTAssertEqual(
            Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2]).upsampledNearest(scale: 2).scalars,
            [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testMatmulValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        XCTAssertEqual(Tensor.matmul(a, b).scalars, [58, 64, 139, 154])
        XCTAssertEqual(Tensor.matmul(a, a, transposeB: true).scalars, [14, 32, 32, 77])
        XCTAssertEqual(Tensor.matmul(a, a, transposeA: true).shape, [3, 3])
        XCTAssertEqual(Tensor.matmul(a, b, alpha: 0.5).scalars, [29, 32, 69.5, 77])
    }

    func testSoftmaxAndLossValues() {
        let logits = Tensor([0, 0, Float(Foundation.log(2.0))], shape: [1, 3])
        assertClose(logits.softmax(), Tensor([0.25, 0.25, 0.5], shape: [1, 3]), tolerance: 1e-6)
        // -log(0.5)
        XCTAssertEqual(Tensor.crossEntropy(logits: logits, targets: [2]).item, 0.693_147_2, accuracy: 1e-6)
        // -(0.5 log 0.25 + 0.5 log 0.5) = 1.5 log 2
        let halves = Tensor([0.5, 0, 0.5], shape: [1, 3])
        XCTAssertEqual(Tensor.crossEntropy(logits: logits, probabilities: halves).item, 1.039_720_8, accuracy: 1e-6)
        // Along the first axis of a column: the same distribution.
        assertClose(logits.transposed().softmax(axis: 0), Tensor([0.25, 0.25, 0.5], shape: [3, 1]), tolerance: 1e-6)
        // BCE(logit 0, target 1) = log 2, and stays finite for huge logits.
        XCTAssertEqual(
            Tensor.binaryCrossEntropyWithLogits(logits: Tensor([0], shape: [1]), targets: Tensor([1], shape: [1])).item,
            0.693_147_2, accuracy: 1e-6)
        XCTAssertEqual(
            Tensor.binaryCrossEntropyWithLogits(logits: Tensor([200], shape: [1]), targets: Tensor([0], shape: [1]))
                .item, 200, accuracy: 1e-3)
    }

    func testSeededRNGIsReproducibleAndRoughlyNormal() {
        var first = SeededRNG(seed: 42)
        var second = SeededRNG(seed: 42)
        let a = (0..<10_000).map { _ in first.nextNormal() }
        XCTAssertEqual(a, (0..<10_000).map { _ in second.nextNormal() })
        let mean = a.reduce(0, +) / Float(a.count)
        let variance = a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(a.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
        var uniform = SeededRNG(seed: 7)
        XCTAssertTrue((0..<1000).allSatisfy { _ in (0..<1).contains(uniform.nextUniform()) })
    }

    func testBulkNormalsAreTheOneAtATimeSequence() {
        // Odd lengths, so a pair's second value waits for the next call, and calls of both kinds mixed.
        var single = SeededRNG(seed: 9)
        let expected = (0..<2_003).map { _ in single.nextNormal() }
        var bulk = SeededRNG(seed: 9)
        var drawn = bulk.normals(1)
        drawn += bulk.normals(999)
        drawn.append(bulk.nextNormal())
        drawn += bulk.normals(1_002)
        XCTAssertEqual(drawn, expected)
        XCTAssertEqual(bulk.nextNormal(), single.nextNormal())
    }
}

final class VectorMathTests: XCTestCase {
    func testFastExpStaysWithinFourUlpOfLibm() {
        var worst: Float = 0
        var x: Float = -86.5
        while x < 88.5 {
            let expected = Foundation.exp(x)
            worst = max(worst, abs(braid_exp(x) - expected) / expected.ulp)
            x += 0.013_7
        }
        XCTAssertLessThanOrEqual(worst, 4)
        XCTAssertEqual(braid_exp(0), 1)
        XCTAssertLessThan(braid_exp(-.infinity), 1e-37)
    }

    func testFastErfStaysWithinItsStatedBound() {
        var worst: Double = 0
        var x: Float = -6
        while x < 6 {
            worst = max(worst, abs(Double(braid_erf(x)) - Foundation.erf(Double(x))))
            x += 0.001_9
        }
        XCTAssertLessThan(worst, 6e-7)  // 1.5e-7 from the formula, the rest Float rounding
    }

    /// The loops run in the build the loader picked for this CPU (AVX-512 on the reference machine), whose fused
    /// multiply-adds may round differently from the inline functions: each is held to libm instead.
    func testDispatchedGeluAndSoftmaxLoopsAgreeWithLibm() {
        var rng = SeededRNG(seed: 7)
        // An odd count, so the vector loops' tails run too.
        let input = Tensor.randomNormal([4099], standardDeviation: 3, using: &rng)
        for (x, value) in zip(input.scalars, input.gelu().scalars) {
            let expected = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            XCTAssertEqual(Double(value), expected, accuracy: 1e-6 + 1e-6 * abs(expected))
        }
        // In place, where the compiler's overlap test would have sent the loops to scalar code.
        var inPlace = input.scalars
        inPlace.withUnsafeMutableBufferPointer { braid_gelu($0.baseAddress!, $0.baseAddress!, $0.count) }
        XCTAssertEqual(inPlace, input.gelu().scalars)
        let logits = input.reshaped([1, 4099])
        let peak = Double(input.scalars.max()!)
        let total = input.scalars.reduce(0.0) { $0 + Foundation.exp(Double($1) - peak) }
        for (x, value) in zip(input.scalars, logits.softmax().scalars) {
            let expected = Foundation.exp(Double(x) - peak) / total
            // The float sum of 4,099 exponentials carries a relative error of about √n·ε ≈ 4e-6.
            XCTAssertEqual(Double(value), expected, accuracy: 4e-6 * expected + 1e-12)
        }
        var softmaxInPlace = input.scalars
        softmaxInPlace.withUnsafeMutableBufferPointer { braid_softmax($0.baseAddress!, $0.baseAddress!, $0.count) }
        XCTAssertEqual(softmaxInPlace, logits.softmax().scalars)
    }
}

final class ParallelKernelTests: XCTestCase {
    /// Row kernels split across threads must give exactly the single-thread result.
    func testSplittingRowsAcrossThreadsChangesNoBit() {
        let x = randomTensor([64, 1024], seed: 11)
        let weight = randomTensor([1024], seed: 12)
        x.requiresGrad = true
        func run(threads: Int) -> [[Float]] {
            ThreadBudget.setComputeThreads(threads)
            x.grad = nil
            let y = x.layerNorm(weight: weight, bias: nil).gelu().softmax() * x.sigmoid()
            (y * y).sum().backward()
            return [y.scalars, x.grad?.scalars ?? []]
        }
        let previous = ThreadBudget.computeThreads
        defer { ThreadBudget.setComputeThreads(previous) }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
    }
}
