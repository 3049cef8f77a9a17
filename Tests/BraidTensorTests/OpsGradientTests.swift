import BraidTensor
import XCTest

/// Every primitive's backward against central finite differences.
final class OpsGradientTests: XCTestCase {
    func testBroadcastingArithmetic() {
        let a = randomTensor([2, 3, 4], seed: 1)
        let b = randomTensor([3, 1], seed: 2)
        let positive = randomTensor([1, 4], seed: 3).abs() + 0.5
        assertGradientsMatch([a, b]) { $0[0] + $0[1] }
        assertGradientsMatch([a, b]) { $0[0] - $0[1] }
        assertGradientsMatch([a, b]) { $0[0] * $0[1] }
        assertGradientsMatch([a, positive]) { $0[0] / $0[1] }
        assertGradientsMatch([a]) { ($0[0] * 3 - 1) / 2 }
        assertGradientsMatch([positive]) { $0[0].pow(1.5) }
    }

    func testUnaryFunctions() {
        // Offset from 0 so no element sits on ReLU's or abs's kink.
        let x = randomTensor([3, 5], seed: 4) + 0.05
        for op: UnaryOp in [.relu, .sigmoid, .tanh, .silu, .softplus, .gelu, .geluTanh, .quickGelu, .exp, .abs, .sin, .cos] {
            let report = GradCheck.check([x]) { $0[0].applying(op) }
            XCTAssertTrue(report.passed, "\(op): \(report)")
        }
        let positive = x.abs() + 0.5
        assertGradientsMatch([positive]) { $0[0].log() }
        assertGradientsMatch([positive]) { $0[0].sqrt() }
    }

    func testReductions() {
        let x = randomTensor([2, 3, 4], seed: 5)
        assertGradientsMatch([x]) { $0[0].sum(axes: [1]) }
        assertGradientsMatch([x]) { $0[0].sum(axes: [0, 2], keepingDimensions: true) }
        assertGradientsMatch([x]) { $0[0].mean(axes: [-1]) }
        assertGradientsMatch([x]) { $0[0].mean() }
        assertGradientsMatch([x]) { $0[0].max(axis: 1) }
    }

    func testMovement() {
        let x = randomTensor([2, 3, 4], seed: 6)
        let y = randomTensor([2, 2, 4], seed: 7)
        assertGradientsMatch([x]) { $0[0].reshaped([4, -1]) }
        assertGradientsMatch([x]) { $0[0].permuted([2, 0, 1]) }
        assertGradientsMatch([x]) { $0[0].transposed() }
        assertGradientsMatch([x, y]) { Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        assertGradientsMatch([x]) { $0[0].sliced(axis: 2, 1..<3) }
        assertGradientsMatch([x]) { $0[0].sliced(axis: 0, 1..<2) }
        assertGradientsMatch([randomTensor([1, 3, 1], seed: 8)]) { $0[0].expanded(to: [2, 3, 4]) }
        // Repeated indices must accumulate.
        assertGradientsMatch([randomTensor([5, 3], seed: 9)]) {
            $0[0].gatheringRows([4, 0, 4, 2], indexShape: [2, 2])
        }
        // Values far apart within a row, so that the finite-difference step never reorders them.
        assertGradientsMatch([Tensor([0.3, -1.2, 2, 0.9, -0.4, 1.5, -2.1, 0.6], shape: [2, 4])]) {
            $0[0].sortedDescending()
        }
    }

    func testMatmulVariants() {
        let a = randomTensor([2, 3, 4], seed: 10)
        let b = randomTensor([2, 4, 5], seed: 11)
        let shared = randomTensor([4, 5], seed: 12)
        assertGradientsMatch([a, b]) { Tensor.matmul($0[0], $0[1]) }
        assertGradientsMatch([a, shared]) { Tensor.matmul($0[0], $0[1]) }
        let aT = randomTensor([2, 4, 3], seed: 13)
        let bT = randomTensor([2, 5, 4], seed: 14)
        assertGradientsMatch([aT, bT]) { Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        assertGradientsMatch([a, bT]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
        assertGradientsMatch([aT, shared]) { Tensor.matmul($0[0], $0[1], transposeA: true) }
        let sharedT = randomTensor([5, 4], seed: 15)
        assertGradientsMatch([a, sharedT]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
        assertGradientsMatch([aT, b]) { Tensor.matmul($0[0], $0[1], transposeA: true, alpha: -0.5) }
        assertGradientsMatch([a, shared]) { Tensor.matmul($0[0], $0[1], alpha: 3) }
    }

    func testLinearWithFusedBias() {
        let x = randomTensor([2, 3, 4], seed: 16)
        let weight = randomTensor([5, 4], seed: 17)
        let bias = randomTensor([5], seed: 18)
        assertGradientsMatch([x, weight, bias]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        assertGradientsMatch([x, weight, bias]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: .gelu) }
    }

    func testConv2dWithStridePaddingDilationGroups() {
        let x = randomTensor([2, 4, 6, 5], seed: 19)
        let weight = randomTensor([6, 2, 3, 2], seed: 20)
        let bias = randomTensor([6], seed: 21)
        assertGradientsMatch([x, weight, bias]) {
            Tensor.conv2d(
                $0[0], weight: $0[1], bias: $0[2], stride: Size2D(height: 2, width: 1), padding: 1,
                dilation: Size2D(height: 1, width: 2), groups: 2)
        }
        assertGradientsMatch([x, randomTensor([3, 4, 1, 1], seed: 22)]) { Tensor.conv2d($0[0], weight: $0[1]) }
        // A single image skips the batch-major reorderings.
        assertGradientsMatch([randomTensor([1, 4, 5, 4], seed: 43), weight, bias]) {
            Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1, groups: 2)
        }
    }

    func testConvTranspose2dAndConv1d() {
        let x = randomTensor([2, 4, 3, 3], seed: 23)
        let weight = randomTensor([4, 3, 3, 3], seed: 24)
        let bias = randomTensor([6], seed: 25)
        assertGradientsMatch([x, weight, bias]) {
            Tensor.convTranspose2d(
                $0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1, groups: 2)
        }
        assertGradientsMatch([randomTensor([1, 4, 3, 2], seed: 44), weight, bias]) {
            Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, groups: 2)
        }
        // 16 output channels: oneDNN computes these in its blocked layout, the few above in the plain one.
        assertGradientsMatch([x, randomTensor([4, 16, 2, 2], seed: 45), randomTensor([16], seed: 46)]) {
            Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2)
        }
        let signal = randomTensor([2, 3, 9], seed: 26)
        assertGradientsMatch([signal, randomTensor([4, 3, 3], seed: 27), randomTensor([4], seed: 28)]) {
            Tensor.conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 2, dilation: 2)
        }
    }

    func testConvolutionsInChannelBlocks() {
        for layout in [ImageLayout.channelBlocks(8), .channelBlocks(16)] {
            // The same convolutions as channels first (checked against PyTorch), the images laid out in blocks.
            let x = randomTensor([2, 16, 5, 6], seed: 47)
            let (weight, bias) = (randomTensor([32, 8, 3, 3], seed: 48), randomTensor([32], seed: 49))
            let blocked = Tensor.conv2d(
                layout.arrange(x), weight: weight, bias: bias, stride: Size2D(height: 2, width: 1), padding: 1,
                groups: 2, layout: layout)
            XCTAssertEqual(blocked.rank, 5, "\(layout)")
            let expected = Tensor.conv2d(
                x, weight: weight, bias: bias, stride: Size2D(height: 2, width: 1), padding: 1, groups: 2)
            assertClose(layout.channelsFirst(blocked), expected, tolerance: 1e-4, "conv2d in \(layout)")
            let (upWeight, upBias) = (randomTensor([16, 16, 4, 4], seed: 50), bias.sliced(axis: 0, 0..<16))
            let upsampled = Tensor.convTranspose2d(
                layout.arrange(x), weight: upWeight, bias: upBias, stride: 2, layout: layout)
            assertClose(
                layout.channelsFirst(upsampled), Tensor.convTranspose2d(x, weight: upWeight, bias: upBias, stride: 2),
                tolerance: 1e-4, "convTranspose2d in \(layout)")
            // Gradients: blocks throughout; one channel in, blocks out; blocks in, one channel out (the VQ-VAE's ends).
            let grid = layout.arrange(randomTensor([2, 16, 3, 3], seed: 51))
            assertGradientsMatch([grid, randomTensor([16, 16, 3, 3], seed: 52), randomTensor([16], seed: 53)]) {
                Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1, layout: layout)
            }
            assertGradientsMatch([randomTensor([2, 1, 6, 6], seed: 54), randomTensor([16, 1, 4, 4], seed: 55)]) {
                Tensor.conv2d($0[0], weight: $0[1], stride: 2, padding: 1, layout: layout)
            }
            assertGradientsMatch([grid, randomTensor([16, 16, 4, 4], seed: 56), randomTensor([16], seed: 57)]) {
                Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, layout: layout)
            }
            assertGradientsMatch([grid, randomTensor([16, 1, 4, 4], seed: 58), randomTensor([1], seed: 59)]) {
                Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, layout: layout)
            }
        }
    }

    func testPoolingAndUpsampling() {
        // Distinct, well separated values so no pooling window has a near tie.
        var rng = SeededRNG(seed: 29)
        let values = (0..<(2 * 2 * 5 * 4)).map { Float($0) * 0.1 }.shuffled(using: &rng)
        let x = Tensor(values, shape: [2, 2, 5, 4])
        assertGradientsMatch([x], step: 1e-3) { Tensor.maxPool2d($0[0], kernel: 2, stride: 2, padding: 1) }
        assertGradientsMatch([x]) { Tensor.avgPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
        assertGradientsMatch([x]) { $0[0].upsampledNearest(scale: Size2D(height: 2, width: 3)) }
    }

    func testMaxPoolGradientReachesEachWindowsMaximum() {
        // Distinct values a step apart, so no window has a tie that finite differences would straddle.
        var rng = SeededRNG(seed: 31)
        let values = (0..<(2 * 3 * 6 * 7)).map { Float($0) * 0.1 }.shuffled(using: &rng)
        let x = Tensor(values, shape: [2, 3, 6, 7])
        assertGradientsMatch([x], step: 1e-3) { Tensor.maxPool2d($0[0], kernel: 2) }
        assertGradientsMatch([x], step: 1e-3) { Tensor.maxPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
    }

    func testBatchNormInTrainingAndEvaluation() {
        let x = randomTensor([4, 3, 2, 5], seed: 32)
        let (weight, bias) = (randomTensor([3], seed: 33), randomTensor([3], seed: 34))
        let runningMean = randomTensor([3], seed: 35)
        let runningVariance = randomTensor([3], seed: 36).abs() + 0.5
        // Fresh copies per call: training updates the running statistics in place.
        for training in [true, false] {
            assertGradientsMatch([x, weight, bias]) {
                $0[0].batchNorm(
                    runningMean: runningMean.copied(), runningVariance: runningVariance.copied(), weight: $0[1],
                    bias: $0[2], training: training)
            }
        }
        // (N, C): the layout after a linear layer.
        assertGradientsMatch([randomTensor([6, 4], seed: 37)]) {
            $0[0].batchNorm(
                runningMean: .zeros([4]), runningVariance: .ones([4]), weight: nil, bias: nil, training: true)
        }
    }

    func testNormalizationAndSoftmax() {
        let x = randomTensor([3, 6], seed: 30)
        let weight = randomTensor([6], seed: 31)
        let bias = randomTensor([6], seed: 32)
        assertGradientsMatch([x, weight, bias]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        assertGradientsMatch([x]) { $0[0].layerNorm(weight: nil, bias: nil) }
        let image = randomTensor([2, 4, 2, 3], seed: 33)
        assertGradientsMatch([image, randomTensor([4], seed: 34), randomTensor([4], seed: 35)]) {
            $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2])
        }
        assertGradientsMatch([x]) { $0[0].softmax() }
        assertGradientsMatch([x]) { $0[0].logSoftmax() }
        let cube = randomTensor([2, 3, 4], seed: 38)
        for axis in [0, 1, -1] {
            assertGradientsMatch([cube]) { $0[0].softmax(axis: axis) }
            assertGradientsMatch([cube]) { $0[0].logSoftmax(axis: axis) }
        }
    }

    func testSoftmaxAlongAnAxisEqualsSoftmaxOfTheTransposedRows() {
        let cube = randomTensor([2, 3, 4], seed: 39)
        for axis in [0, 1] {
            let expected = cube.transposed(axis, -1).softmax().transposed(axis, -1)
            assertClose(cube.softmax(axis: axis), expected, tolerance: 0)
            // Each slice along the axis sums to one.
            var remaining = cube.shape
            remaining.remove(at: axis)
            assertClose(cube.softmax(axis: axis).sum(axes: [axis]), Tensor.ones(remaining), tolerance: 1e-6)
        }
    }

    func testLosses() {
        let logits = randomTensor([4, 3], seed: 36)
        assertGradientsMatch([logits]) { Tensor.crossEntropy(logits: $0[0], targets: [2, 0, 1, 2]) }
        let smoothed = randomTensor([4, 3], seed: 40).softmax()
        assertGradientsMatch([logits, smoothed]) { Tensor.crossEntropy(logits: $0[0], probabilities: $0[1]) }
        let target = randomTensor([4, 3], seed: 37)
        assertGradientsMatch([logits, target]) { Tensor.meanSquaredError($0[0], $0[1]) }
        let labels = Tensor([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1], shape: [4, 3])
        assertGradientsMatch([logits]) { Tensor.binaryCrossEntropyWithLogits(logits: $0[0], targets: labels) }
        // Soft targets (an autoencoder's pixels) take a gradient too.
        let pixels = randomTensor([4, 3], seed: 41).sigmoid()
        assertGradientsMatch([logits, pixels]) { Tensor.binaryCrossEntropyWithLogits(logits: $0[0], targets: $0[1]) }
    }

    func testAttentionWithMasks() {
        let q = randomTensor([2, 2, 3, 4], seed: 38)
        let k = randomTensor([2, 2, 5, 4], seed: 39)
        let v = randomTensor([2, 2, 5, 4], seed: 40)
        assertGradientsMatch([q, k, v]) { Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
        assertGradientsMatch([q, k, v]) {
            Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: .causal)
        }
        assertGradientsMatch([q, k, v]) {
            Tensor.scaledDotProductAttention(
                query: $0[0], key: $0[1], value: $0[2], mask: .keyPadding(validLengths: [5, 2], keys: 5))
        }
    }

    func testDropoutGradientFollowsItsMask() {
        let x = randomTensor([4, 5], seed: 41)
        assertGradientsMatch([x]) { inputs in
            var rng = SeededRNG(seed: 42)  // the same mask on every evaluation
            return inputs[0].dropout(probability: 0.3, training: true, using: &rng)
        }
    }
}
