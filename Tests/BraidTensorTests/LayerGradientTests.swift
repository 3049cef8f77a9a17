import BraidTensor
import XCTest

/// Each layer's gradients, with respect to input and every parameter, against finite differences.
final class LayerGradientTests: XCTestCase {
    private func check(
        _ parameters: [Tensor], input: Tensor, file: StaticString = #filePath, line: UInt = #line,
        _ forward: (Tensor) -> Tensor
    ) {
        assertGradientsMatch([input] + parameters, file: file, line: line) { forward($0[0]) }
    }

    func testLinearAndMLP() throws {
        let scope = WeightScope.initializing(seed: 1)
        let linear = try Linear(scope: scope.scope("linear"), inFeatures: 4, outFeatures: 3)
        check(scope.store.parameters, input: randomTensor([2, 4], seed: 2)) { linear($0, activation: .tanh) }
        let mlpScope = WeightScope.initializing(seed: 3)
        let mlp = try MLP(scope: mlpScope, widths: [3, 5, 2], activation: .gelu)
        check(mlpScope.store.parameters, input: randomTensor([4, 3], seed: 4)) { mlp($0) }
    }

    func testConvolutionLayers() throws {
        let scope = WeightScope.initializing(seed: 5)
        let conv = try Conv2d(scope: scope, inChannels: 2, outChannels: 4, kernel: 3, stride: 2, padding: 1, groups: 2)
        check(scope.store.parameters, input: randomTensor([2, 2, 5, 5], seed: 6)) { conv($0) }
        let transposeScope = WeightScope.initializing(seed: 7)
        let transpose = try ConvTranspose2d(
            scope: transposeScope, inChannels: 3, outChannels: 2, kernel: 4, stride: 2, padding: 1)
        check(transposeScope.store.parameters, input: randomTensor([1, 3, 3, 3], seed: 8)) { transpose($0) }
        let oneDimensionalScope = WeightScope.initializing(seed: 9)
        let conv1d = try Conv1d(scope: oneDimensionalScope, inChannels: 2, outChannels: 3, kernel: 3, padding: 1)
        check(oneDimensionalScope.store.parameters, input: randomTensor([2, 2, 6], seed: 10)) { conv1d($0) }
    }

    func testEmbeddingAndNorms() throws {
        let scope = WeightScope.initializing(seed: 11)
        let embedding = try Embedding(scope: scope, count: 6, dimension: 3)
        assertGradientsMatch(scope.store.parameters) { _ in embedding([5, 1, 1, 0], shape: [2, 2]) }
        let normScope = WeightScope.initializing(seed: 12)
        let layerNorm = try LayerNorm(scope: normScope, dimension: 5)
        check(normScope.store.parameters, input: randomTensor([3, 5], seed: 13)) { layerNorm($0) }
        let groupScope = WeightScope.initializing(seed: 14)
        let groupNorm = try GroupNorm(scope: groupScope, groups: 2, channels: 4)
        check(groupScope.store.parameters, input: randomTensor([2, 4, 3, 2], seed: 15)) { groupNorm($0) }
    }

    func testSelfAndCrossAttention() throws {
        let scope = WeightScope.initializing(seed: 16)
        let attention = try MultiHeadAttention(scope: scope, dimension: 4, heads: 2)
        check(scope.store.parameters, input: randomTensor([2, 3, 4], seed: 17)) { attention($0, mask: .causal) }
        let crossScope = WeightScope.initializing(seed: 18)
        let cross = try MultiHeadAttention(scope: crossScope, dimension: 4, heads: 2, contextDimension: 6)
        let context = randomTensor([2, 5, 6], seed: 19)
        assertGradientsMatch([randomTensor([2, 3, 4], seed: 20), context] + crossScope.store.parameters) {
            cross($0[0], context: $0[1])
        }
        XCTAssertEqual(
            crossScope.store.names,
            [
                "q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias",
                "v_proj.weight", "v_proj.bias", "out_proj.weight", "out_proj.bias",
            ])
    }

    func testBatchNormLayerAndItsFoldingIntoTheLayerBefore() throws {
        let scope = WeightScope.initializing(seed: 21)
        let conv = try Conv2d(scope: scope.scope("conv"), inChannels: 2, outChannels: 3, kernel: 3, padding: 1)
        let norm = try BatchNorm(scope: scope.scope("norm"), channels: 3)
        XCTAssertEqual(
            scope.store.namedParameters.map(\.name), ["conv.weight", "conv.bias", "norm.weight", "norm.bias"],
            "buffers are not parameters")
        XCTAssertEqual(
            scope.store.namedTensors.map(\.name),
            ["conv.weight", "conv.bias", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var"])
        let input = randomTensor([3, 2, 4, 4], seed: 22)
        check(scope.store.parameters, input: input) { norm(conv($0), training: true) }
        // A few training passes move the running statistics away from (0, 1); give the affine map values too.
        for seed in 23..<26 {
            _ = withNoGrad { norm(conv(randomTensor([3, 2, 4, 4], seed: UInt64(seed))), training: true) }
        }
        norm.weight.withUnsafeMutableBufferPointer { $0[0] = 1.7 }
        norm.bias.withUnsafeMutableBufferPointer { $0[2] = -0.4 }
        XCTAssertNotEqual(norm.runningMean.scalars, [0, 0, 0])
        let separate = withNoGrad { norm(conv(input), training: false) }
        assertClose(withNoGrad { conv.folding(norm)(input) }, separate, tolerance: 1e-5, "folded conv")

        let linearScope = WeightScope.initializing(seed: 27)
        let linear = try Linear(scope: linearScope.scope("linear"), inFeatures: 5, outFeatures: 3, bias: false)
        let linearNorm = try BatchNorm(scope: linearScope.scope("norm"), channels: 3)
        _ = withNoGrad { linearNorm(linear(randomTensor([8, 5], seed: 28)), training: true) }
        let rows = randomTensor([4, 5], seed: 29)
        assertClose(
            withNoGrad { linear.folding(linearNorm)(rows) }, withNoGrad { linearNorm(linear(rows), training: false) },
            tolerance: 1e-5, "folded linear")
    }
}
