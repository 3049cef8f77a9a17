// CLIP: an image tower and a text tower, each projected into one embedding space where matching images and
// texts lie close. Port of CLIPModel (get_image_features, get_text_features, logit_scale) in
// https://github.com/huggingface/transformers/blob/v4.57.1/src/transformers/models/clip/modeling_clip.py.
//
// Dimension legend: B images or texts; C channels; S image side; K projection_dim.

import BraidTensor
import Foundation

public struct CLIPModel: Sendable {
    public let configuration: CLIPConfiguration
    let textModel: CLIPTextTransformer  // text_model
    let visionModel: CLIPVisionTransformer  // vision_model
    let textProjection: Linear  // text_projection, without bias
    let visualProjection: Linear  // visual_projection, without bias
    /// exp(logit_scale): the factor cosine similarities are multiplied by before a softmax (100 in OpenAI's).
    public let logitScale: Float

    public init(configuration: CLIPConfiguration, scope: WeightScope) throws {
        let (text, vision) = (configuration.textConfig, configuration.visionConfig)
        textModel = try CLIPTextTransformer(configuration: text, scope: scope.scope("text_model"))
        visionModel = try CLIPVisionTransformer(configuration: vision, scope: scope.scope("vision_model"))
        textProjection = try Linear(
            scope: scope.scope("text_projection"), inFeatures: text.hiddenSize,
            outFeatures: configuration.projectionDim, bias: false)
        visualProjection = try Linear(
            scope: scope.scope("visual_projection"), inFeatures: vision.hiddenSize,
            outFeatures: configuration.projectionDim, bias: false)
        logitScale = Foundation.exp(try scope.parameter("logit_scale", shape: [], initializer: .zeros).item)
        self.configuration = configuration
    }

    /// - Parameter pixels: `(B, C, S, S)`, as ``CLIPImageProcessor`` makes them.
    /// - Returns: `(B, K)`, not normalised (transformers' `get_image_features`).
    public func imageFeatures(_ pixels: Tensor) -> Tensor {
        withNoGrad { visualProjection(visionModel(pixels)) }
    }

    /// - Parameter sequences: token ids as ``CLIPTokenizer`` makes them.
    /// - Returns: `(B, K)`, not normalised (transformers' `get_text_features`).
    public func textFeatures(_ sequences: [[Int32]]) -> Tensor {
        withNoGrad { textProjection(textModel(sequences)) }
    }
}
