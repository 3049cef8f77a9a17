// CLIP's vision tower: a ViT (Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021) whose image
// feature is the final state of its class token, with a layer norm before the blocks as well as after.
// Port of CLIPVisionEmbeddings and CLIPVisionTransformer in
// https://github.com/huggingface/transformers/blob/v4.57.1/src/transformers/models/clip/modeling_clip.py.
//
// Dimension legend: B images; C channels; S image side; P patch side; G = S/P patches per side;
// T = G² + 1 tokens per image (the class token first); E hidden size.

import BraidTensor
import Foundation

/// Keys under `vision_model.`.
struct CLIPVisionTransformer: Sendable {
    let configuration: CLIPVisionConfiguration
    let classEmbedding: Tensor  // embeddings.class_embedding, (E)
    /// embeddings.patch_embedding.weight, a (E, C, P, P) convolution of stride P without bias, read as the
    /// (E, C·P·P) matrix it multiplies each flattened patch by.
    let patchWeight: Tensor
    let positionEmbedding: Tensor  // embeddings.position_embedding.weight, (T, E)
    let preLayerNorm: LayerNorm  // pre_layrnorm (sic)
    let layers: [CLIPEncoderLayer]  // encoder.layers.<i>
    let postLayerNorm: LayerNorm  // post_layernorm

    init(configuration: CLIPVisionConfiguration, scope: WeightScope) throws {
        let (width, channels, patch) = (configuration.hiddenSize, configuration.numChannels, configuration.patchSize)
        guard patch > 0, configuration.imageSize % patch == 0 else {
            throw WeightError.badConfiguration(
                path: "config.json",
                reason: "image_size \(configuration.imageSize) does not split into patches of \(patch)")
        }
        let embeddings = scope.scope("embeddings")
        classEmbedding = try embeddings.parameter("class_embedding", shape: [width], initializer: .zeros)
        patchWeight = try embeddings.scope("patch_embedding").parameter(
            "weight", shape: [width, channels, patch, patch], initializer: .zeros
        ).reshaped([width, channels * patch * patch])  // (E, C, P, P) -> (E, C·P·P)
        let tokens = configuration.gridSize * configuration.gridSize + 1
        positionEmbedding = try embeddings.scope("position_embedding").parameter(
            "weight", shape: [tokens, width], initializer: .zeros)
        preLayerNorm = try LayerNorm(
            scope: scope.scope("pre_layrnorm"), dimension: width, epsilon: configuration.layerNormEps)
        layers = try CLIPEncoderLayer.stack(configuration, scope: scope)
        postLayerNorm = try LayerNorm(
            scope: scope.scope("post_layernorm"), dimension: width, epsilon: configuration.layerNormEps)
        self.configuration = configuration
    }

    /// - Parameter pixels: `(B, C, S, S)`, normalised as the checkpoint's image processor does.
    /// - Returns: `(B, E)`: each image's pooled state.
    func callAsFunction(_ pixels: Tensor) -> Tensor {
        let images = pixels.shape[0]
        let tokensPerImage = configuration.gridSize * configuration.gridSize + 1
        let patches = Tensor.linear(patchRows(pixels), weight: patchWeight, bias: nil)  // (B·G², E)
        let embedded = withClassTokens(patches, images: images)  // (B·T, E)
        let lengths = [Int](repeating: tokensPerImage, count: images)
        let hidden = layers.reduce(preLayerNorm(embedded)) { hidden, layer in
            layer(hidden, lengths: lengths, causal: false)
        }
        let classRows = (0..<images).map { $0 * tokensPerImage }
        return postLayerNorm(hidden.gatheringRows(classRows))  // (B, E)
    }

    /// The patches of each image as rows, row-major over the grid, each flattened as (C, P, P) like the
    /// convolution's weight: `(B, C, S, S)` -> `(B·G², C·P·P)`.
    private func patchRows(_ pixels: Tensor) -> Tensor {
        let (images, channels) = (pixels.shape[0], configuration.numChannels)
        let (side, patch, grid) = (configuration.imageSize, configuration.patchSize, configuration.gridSize)
        let rows = Tensor.zeros([images * grid * grid, channels * patch * patch])
        pixels.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { target in
                var out = 0
                for image in 0..<images {
                    for gridY in 0..<grid {
                        for gridX in 0..<grid {
                            for channel in 0..<channels {
                                for y in 0..<patch {
                                    let from = ((image * channels + channel) * side + gridY * patch + y) * side + gridX * patch
                                    for x in 0..<patch { target[out + x] = source[from + x] }
                                    out += patch
                                }
                            }
                        }
                    }
                }
            }
        }
        return rows
    }

    /// Each image's class token before its patches, every token plus its position embedding:
    /// `(B·G², E)` -> `(B·T, E)`.
    private func withClassTokens(_ patches: Tensor, images: Int) -> Tensor {
        let width = configuration.hiddenSize
        let tokensPerImage = configuration.gridSize * configuration.gridSize + 1
        let tokens = Tensor.zeros([images * tokensPerImage, width])
        patches.withUnsafeBufferPointer { patches in
            classEmbedding.withUnsafeBufferPointer { classToken in
                positionEmbedding.withUnsafeBufferPointer { positions in
                    tokens.withUnsafeMutableBufferPointer { tokens in
                        for image in 0..<images {
                            for token in 0..<tokensPerImage {
                                let row = (image * tokensPerImage + token) * width
                                let patchRow = (image * (tokensPerImage - 1) + token - 1) * width
                                for column in 0..<width {
                                    let value = token == 0 ? classToken[column] : patches[patchRow + column]
                                    tokens[row + column] = value + positions[token * width + column]
                                }
                            }
                        }
                    }
                }
            }
        }
        return tokens
    }
}
