// CLIP's transformer block, shared by the text and the vision tower: pre-norm self-attention and a two-layer
// MLP, each added back to its input. Port of CLIPEncoderLayer, CLIPAttention and CLIPMLP in
// https://github.com/huggingface/transformers/blob/v4.57.1/src/transformers/models/clip/modeling_clip.py.
//
// Dimension legend: N tokens of all sequences of a batch, packed one after another (no padding); E hidden size;
// H heads; D = E/H head size; F intermediate size.

import BraidTensor
import Foundation

/// One block. Keys under `encoder.layers.<i>.`.
struct CLIPEncoderLayer: Sendable {
    let layerNorm1: LayerNorm  // layer_norm1
    let queryKeyValueProjections: [Linear]  // self_attn.{q,k,v}_proj
    let outputProjection: Linear  // self_attn.out_proj
    let layerNorm2: LayerNorm  // layer_norm2
    let fc1: Linear  // mlp.fc1
    let fc2: Linear  // mlp.fc2
    let heads: Int
    let activation: UnaryOp

    init(
        width: Int, intermediateSize: Int, heads: Int, epsilon: Float, activation: UnaryOp, scope: WeightScope
    ) throws {
        layerNorm1 = try LayerNorm(scope: scope.scope("layer_norm1"), dimension: width, epsilon: epsilon)
        queryKeyValueProjections = try ["q_proj", "k_proj", "v_proj"].map { name in
            try Linear(scope: scope.scope("self_attn.\(name)"), inFeatures: width, outFeatures: width)
        }
        outputProjection = try Linear(scope: scope.scope("self_attn.out_proj"), inFeatures: width, outFeatures: width)
        layerNorm2 = try LayerNorm(scope: scope.scope("layer_norm2"), dimension: width, epsilon: epsilon)
        fc1 = try Linear(scope: scope.scope("mlp.fc1"), inFeatures: width, outFeatures: intermediateSize)
        fc2 = try Linear(scope: scope.scope("mlp.fc2"), inFeatures: intermediateSize, outFeatures: width)
        self.heads = heads
        self.activation = activation
    }

    /// A tower's `num_hidden_layers` blocks, under `encoder.layers.<i>` of `scope`.
    /// - Throws: `WeightError` naming a missing or misshapen tensor, or a configuration whose width does not split
    ///   into its heads or whose activation Braid lacks.
    static func stack(_ configuration: some CLIPTowerConfiguration, scope: WeightScope) throws -> [CLIPEncoderLayer] {
        let (width, heads) = (configuration.hiddenSize, configuration.numAttentionHeads)
        guard heads > 0, width % heads == 0 else {
            throw WeightError.badConfiguration(
                path: "config.json", reason: "hidden_size \(width) does not split into \(heads) attention heads")
        }
        let activation = try UnaryOp.named(configuration.hiddenAct, configuration: "config.json")
        return try (0..<configuration.numHiddenLayers).map { index in
            try CLIPEncoderLayer(
                width: width, intermediateSize: configuration.intermediateSize, heads: heads,
                epsilon: configuration.layerNormEps, activation: activation,
                scope: scope.scope("encoder.layers.\(index)"))
        }
    }

    /// - Parameters:
    ///   - hidden: `(N, E)`.
    ///   - lengths: the length of each packed sequence, summing to N.
    ///   - causal: whether each token sees only those before it (the text tower).
    /// - Returns: `(N, E)`.
    func callAsFunction(_ hidden: Tensor, lengths: [Int], causal: Bool) -> Tensor {
        let queryKeyValue = projectQueryKeyValue(layerNorm1(hidden))  // (N, 3E)
        let attended = Tensor.zeros([hidden.shape[0], hidden.shape[1]])  // (N, E)
        queryKeyValue.withUnsafeBufferPointer { source in
            attended.withUnsafeMutableBufferPointer { target in
                guard let source = source.baseAddress, let target = target.baseAddress else { return }
                TransformerKernels.selfAttention(
                    queryKeyValue: source, lengths: lengths, heads: heads, headSize: hidden.shape[1] / heads,
                    causal: causal, output: target)
            }
        }
        let afterAttention = hidden + outputProjection(attended)  // (N, E)
        let expanded = fc1(layerNorm2(afterAttention), activation: activation)  // (N, F)
        return afterAttention + fc2(expanded)  // (N, E)
    }

    /// The query, key and value projections side by side, each row `[q | k | v]` as the attention kernel reads it:
    /// three GEMMs writing strided columns rather than one over a stacked (3E, E) weight, so the checkpoint's
    /// weights are read where they are mapped and never copied (stacking copied 85 MB of ViT-B/32).
    /// - Parameter x: `(N, E)`.
    /// - Returns: `(N, 3E)`.
    private func projectQueryKeyValue(_ x: Tensor) -> Tensor {
        let (rows, width) = (x.shape[0], x.shape[1])
        let output = Tensor.zeros([rows, 3 * width])
        output.withUnsafeMutableBufferPointer { output in
            x.withUnsafeBufferPointer { input in
                for (index, projection) in queryKeyValueProjections.enumerated() {
                    guard let output = output.baseAddress, let input = input.baseAddress else { return }
                    let columns = output + index * width
                    projection.bias?.withUnsafeBufferPointer { bias in
                        guard let bias = bias.baseAddress else { return }
                        for row in 0..<rows { (columns + row * 3 * width).update(from: bias, count: width) }
                    }
                    projection.weight.withUnsafeBufferPointer { weight in
                        guard let weight = weight.baseAddress else { return }
                        BLAS.gemm(
                            transposeA: false, transposeB: true, m: rows, n: width, k: width, a: input, lda: width,
                            b: weight, ldb: width, beta: 1, c: columns, ldc: 3 * width)
                    }
                }
            }
        }
        return output
    }
}
