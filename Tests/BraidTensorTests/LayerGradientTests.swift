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
}
