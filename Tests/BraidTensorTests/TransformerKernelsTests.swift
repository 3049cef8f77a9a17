import BraidTensor
import Foundation
import XCTest

/// The fused inference kernels against BraidTensor's own (autodiff-checked, unfused) attention and layer norm;
/// the vectorised exp, erf, GELU and softmax loops they use are checked against libm in VectorMathTests.
final class TransformerKernelsTests: XCTestCase {
    func test_packed_attention_matches_per_sequence_scaled_dot_product_attention() {
        assertPackedAttentionMatches(causal: false)
    }

    func test_packed_causal_attention_matches_causally_masked_attention() {
        assertPackedAttentionMatches(causal: true)
    }

    private func assertPackedAttentionMatches(causal: Bool) {
        let (heads, headSize) = (3, 4)
        let width = heads * headSize
        let lengths = [5, 1, 7]
        var rng = SeededRNG(seed: 11)
        let queryKeyValue = Tensor.randomNormal([lengths.reduce(0, +), 3 * width], using: &rng)
        var output = [Float](repeating: .nan, count: lengths.reduce(0, +) * width)
        queryKeyValue.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                TransformerKernels.selfAttention(
                    queryKeyValue: source.baseAddress!, lengths: lengths, heads: heads, headSize: headSize,
                    causal: causal, output: target.baseAddress!)
            }
        }
        var start = 0
        for length in lengths {
            // (T, 3E) -> (T, 3, H, D) -> (3, H, T, D)
            let split = queryKeyValue.sliced(axis: 0, start..<start + length)
                .reshaped([length, 3, heads, headSize]).permuted([1, 2, 0, 3])
            func part(_ index: Int) -> Tensor {
                split.sliced(axis: 0, index..<index + 1).reshaped([heads, length, headSize])
            }
            let expected = Tensor.scaledDotProductAttention(
                query: part(0), key: part(1), value: part(2), mask: causal ? .causal : nil)
                .permuted([1, 0, 2]).reshaped([length * width]).scalars  // (H, T, D) -> (T, H, D)
            let actual = output[(start * width)..<((start + length) * width)]
            for (value, reference) in zip(actual, expected) { XCTAssertEqual(value, reference, accuracy: 1e-5) }
            start += length
        }
    }

    func test_add_layer_norm_matches_tensor_layer_norm_of_sum() {
        var rng = SeededRNG(seed: 3)
        let (rows, width) = (5, 384)
        let x = Tensor.randomNormal([rows, width], standardDeviation: 2, using: &rng)
        let residual = Tensor.randomNormal([rows, width], using: &rng)
        let weight = Tensor.randomNormal([width], using: &rng)
        let bias = Tensor.randomNormal([width], using: &rng)
        let expected = (x + residual).layerNorm(weight: weight, bias: bias, epsilon: 1e-12).scalars
        var values = x.scalars
        let (residualValues, weightValues, biasValues) = (residual.scalars, weight.scalars, bias.scalars)
        TransformerKernels.addLayerNormInPlace(
            &values, residual: residualValues, rows: rows, weight: weightValues, bias: biasValues, width: width,
            epsilon: 1e-12)
        for (value, reference) in zip(values, expected) { XCTAssertEqual(value, reference, accuracy: 1e-5) }
    }
}
