import BraidTensor
import XCTest

/// Forward results against PyTorch 2.13 (CPU), from `scripts/make-tensor-references.py`.
final class TorchReferenceTests: XCTestCase {
    func testConv2dMatchesTorch() throws {
        let reference = try Fixtures.torchCase("conv2d")
        let output = Tensor.conv2d(
            try reference.input("x"), weight: try reference.input("weight"),
            bias: try reference.input("bias"), stride: Size2D(height: 2, width: 1),
            padding: Size2D(height: 1, width: 2), dilation: Size2D(height: 1, width: 2), groups: 2)
        assertClose(output, reference.output.tensor, tolerance: 1e-4, "conv2d")
    }

    func testConvTranspose2dMatchesTorch() throws {
        let reference = try Fixtures.torchCase("conv_transpose2d")
        let output = Tensor.convTranspose2d(
            try reference.input("x"), weight: try reference.input("weight"),
            bias: try reference.input("bias"), stride: 2, padding: Size2D(height: 1, width: 0),
            outputPadding: 1, dilation: Size2D(height: 1, width: 2), groups: 2)
        assertClose(output, reference.output.tensor, tolerance: 1e-4, "conv_transpose2d")
    }

    func testConv1dMatchesTorch() throws {
        let reference = try Fixtures.torchCase("conv1d")
        let output = Tensor.conv1d(
            try reference.input("x"), weight: try reference.input("weight"),
            bias: try reference.input("bias"), stride: 2, padding: 1, dilation: 2)
        assertClose(output, reference.output.tensor, tolerance: 1e-4, "conv1d")
    }

    func testMaskedAttentionMatchesTorch() throws {
        let reference = try Fixtures.torchCase("attention_masked")
        let output = Tensor.scaledDotProductAttention(
            query: try reference.input("query"), key: try reference.input("key"),
            value: try reference.input("value"), mask: .additive(try reference.input("mask")))
        assertClose(output, reference.output.tensor, tolerance: 1e-5, "masked attention")
    }

    func testCausalAttentionMatchesTorch() throws {
        let reference = try Fixtures.torchCase("attention_causal")
        let q = try reference.input("query")
        let output = Tensor.scaledDotProductAttention(query: q, key: q, value: q, mask: .causal)
        assertClose(output, reference.output.tensor, tolerance: 1e-5, "causal attention")
    }

    func testLayerNormMatchesTorch() throws {
        let reference = try Fixtures.torchCase("layer_norm")
        let output = try reference.input("x").layerNorm(
            weight: try reference.input("weight"), bias: try reference.input("bias"), epsilon: 1e-5)
        assertClose(output, reference.output.tensor, tolerance: 1e-5, "layer_norm")
    }

    func testGroupNormMatchesTorch() throws {
        let reference = try Fixtures.torchCase("group_norm")
        let output = try reference.input("x").groupNorm(
            groups: 3, weight: try reference.input("weight"), bias: try reference.input("bias"), epsilon: 1e-5)
        assertClose(output, reference.output.tensor, tolerance: 1e-5, "group_norm")
    }

    func testGeluFormsMatchTorch() throws {
        let exact = try Fixtures.torchCase("gelu_erf")
        assertClose(try exact.input("x").gelu(), exact.output.tensor, tolerance: 1e-6, "gelu erf")
        let approximate = try Fixtures.torchCase("gelu_tanh")
        assertClose(
            try approximate.input("x").gelu(approximateTanh: true), approximate.output.tensor, tolerance: 1e-6,
            "gelu tanh")
    }

    func testPoolingMatchesTorch() throws {
        let maxPool = try Fixtures.torchCase("max_pool2d")
        assertClose(
            Tensor.maxPool2d(try maxPool.input("x"), kernel: Size2D(height: 3, width: 2), stride: 2, padding: 1),
            maxPool.output.tensor, tolerance: 0, "max_pool2d")
        let avgPool = try Fixtures.torchCase("avg_pool2d")
        assertClose(
            Tensor.avgPool2d(try avgPool.input("x"), kernel: Size2D(height: 3, width: 2), stride: 2, padding: 1),
            avgPool.output.tensor, tolerance: 1e-6, "avg_pool2d")
    }

    func testMaxPool2x2FastPathMatchesTorch() throws {
        let reference = try Fixtures.torchCase("max_pool2d_2x2")
        assertClose(Tensor.maxPool2d(try reference.input("x"), kernel: 2), reference.output.tensor, tolerance: 0, "2×2")
    }

    func testBatchNormTrainingMatchesTorch() throws {
        let reference = try Fixtures.torchCase("batch_norm_training")
        let (runningMean, runningVariance) = (try reference.input("running_mean"), try reference.input("running_var"))
        let output = try reference.input("x").batchNorm(
            runningMean: runningMean, runningVariance: runningVariance, weight: try reference.input("weight"),
            bias: try reference.input("bias"), training: true)
        assertClose(output, reference.output.tensor, tolerance: 1e-5, "batch norm output")
        let after = try XCTUnwrap(reference.after)
        assertClose(runningMean, try XCTUnwrap(after["running_mean"]).tensor, tolerance: 1e-6, "running mean")
        assertClose(runningVariance, try XCTUnwrap(after["running_var"]).tensor, tolerance: 1e-5, "running variance")
    }

    func testBatchNormEvaluationMatchesTorch() throws {
        let reference = try Fixtures.torchCase("batch_norm_evaluation")
        let (runningMean, runningVariance) = (try reference.input("running_mean"), try reference.input("running_var"))
        let output = try reference.input("x").batchNorm(
            runningMean: runningMean, runningVariance: runningVariance, weight: try reference.input("weight"),
            bias: try reference.input("bias"), training: false)
        assertClose(output, reference.output.tensor, tolerance: 1e-5, "batch norm evaluation")
        assertClose(runningMean, try reference.input("running_mean"), tolerance: 0, "evaluation leaves the mean")
    }
}
