import BraidTensor

/// Cross-attention fusion: each modality's tokens attend to the other's, both directions at once, then one joint
/// transformer block runs over all of them (the co-attention of Lu et al.'s ViLBERT, 2019, and Tsai et al.'s
/// Multimodal Transformer, 2019, at the size of one block).
///
///     image tokens (B, Ti, Ci) ─ Linear ─ ‖ image embedding (B, Ei) ─ Linear ─ + image positions ─▶ xi (B, Ti + 1, W)
///     audio tokens (B, Ta, Ca) ─ Linear ─ ‖ audio embedding (B, Ea) ─ Linear ─ + audio positions ─▶ xa (B, Ta + 1, W)
///     xi + attn(LN xi → LN xa) · has audio,   xa + attn(LN xa → LN xi) · has image
///        ─ join (B, Ti + Ta, W) ─ transformer block, missing part's keys hidden ─ LN ─▶ tokens (B, T, W)
///        ─ mean over present tokens ─▶ embedding (B, W) ─ decision head (``DecisionHead``) ─▶ logits (B, K)
///
/// A missing part contributes nothing: its cross-attention term is zeroed, its tokens are hidden from the joint
/// block's attention and from the mean, and the fused tokens come with a mask that hides them from a decoder.
/// The two position tables also tell the joint block which modality a token came from. Each part's pooled embedding,
/// which its classifier's decision reads linearly, joins its tokens as one more: with it the fusion need not learn
/// again from 2,700 recordings what the sound classifier already knows; without it, captions got the spoken digit
/// wrong 1% of the time where the classifier alone is right on every test take.
///
/// Dimension legend: B batch, Ti image grid cells, Ta sound time steps, Ci and Ca their widths, W width, K classes.
struct CrossAttentionFusion: Sendable {
    struct Configuration: Codable, Sendable, Equatable {
        var width = 64
        var heads = 4
    }

    let configuration: Configuration
    let imageProjection: Linear
    let audioProjection: Linear
    let imageSummary: Linear
    let audioSummary: Linear
    /// (Ti + 1, W).
    let imagePosition: Tensor
    /// (Ta + 1, W).
    let audioPosition: Tensor
    let imageNorm: LayerNorm
    let audioNorm: LayerNorm
    let imageToAudio: MultiHeadAttention
    let audioToImage: MultiHeadAttention
    let joint: TransformerBlock
    let norm: LayerNorm
    /// The joint decision; a caption model's fusion, which only feeds its decoder, has none.
    let decision: DecisionHead?

    /// - Parameters:
    ///   - imageTokens: (Ti, Ci) of the image encoder's tokens.
    ///   - audioTokens: (Ta, Ca) of the sound encoder's tokens.
    ///   - imageWidth: Ei, the image encoder's embedding width.
    ///   - audioWidth: Ea, the sound encoder's.
    ///   - classes: K, or nil for fused tokens without a decision.
    init(
        configuration: Configuration, imageTokens: [Int], audioTokens: [Int], imageWidth: Int, audioWidth: Int,
        classes: Int?, scope: WeightScope
    ) throws {
        self.configuration = configuration
        let (width, heads) = (configuration.width, configuration.heads)
        imageProjection = try Linear(scope: scope.scope("image_projection"), inFeatures: imageTokens[1], outFeatures: width)
        audioProjection = try Linear(scope: scope.scope("audio_projection"), inFeatures: audioTokens[1], outFeatures: width)
        imageSummary = try Linear(scope: scope.scope("image_summary"), inFeatures: imageWidth, outFeatures: width)
        audioSummary = try Linear(scope: scope.scope("audio_summary"), inFeatures: audioWidth, outFeatures: width)
        imagePosition = try scope.parameter(
            "image_position", shape: [imageTokens[0] + 1, width], initializer: .normal(standardDeviation: 0.02))
        audioPosition = try scope.parameter(
            "audio_position", shape: [audioTokens[0] + 1, width], initializer: .normal(standardDeviation: 0.02))
        imageNorm = try LayerNorm(scope: scope.scope("image_norm"), dimension: width)
        audioNorm = try LayerNorm(scope: scope.scope("audio_norm"), dimension: width)
        imageToAudio = try MultiHeadAttention(scope: scope.scope("image_to_audio"), dimension: width, heads: heads)
        audioToImage = try MultiHeadAttention(scope: scope.scope("audio_to_image"), dimension: width, heads: heads)
        joint = try TransformerBlock(scope: scope.scope("joint"), width: width, heads: heads)
        norm = try LayerNorm(scope: scope.scope("norm"), dimension: width)
        decision = try classes.map { try DecisionHead(scope: scope, width: width, classes: $0) }
    }

    func callAsFunction(_ parts: PartFeatures) -> FusionOutput {
        // (B, T, C) -> (B, T, W) ‖ (B, E) -> (B, 1, W), plus (T + 1, W) broadcast over the batch.
        func tokens(_ part: PartFeatures.Part, _ projection: Linear, _ summary: Linear, _ position: Tensor) -> Tensor {
            let pooled = summary(part.embedding).reshaped([parts.count, 1, position.shape[1]])
            return Tensor.concatenate([projection(part.tokens), pooled], axis: 1) + position
        }
        let image = tokens(parts.image, imageProjection, imageSummary, imagePosition)
        let audio = tokens(parts.audio, audioProjection, audioSummary, audioPosition)
        let (imageQueries, audioQueries) = (imageNorm(image), audioNorm(audio))
        // (B, 1, 1) presence scales each direction's update.
        let heardImage = image + imageToAudio(imageQueries, context: audioQueries) * parts.audio.presenceMask(rank: 3)
        let seenAudio = audio + audioToImage(audioQueries, context: imageQueries) * parts.image.presenceMask(rank: 3)
        // (B, Ti, W) ‖ (B, Ta, W) -> (B, Ti + Ta, W)
        let joined = Tensor.concatenate([heardImage, seenAudio], axis: 1)
        let present = Self.tokenPresence(parts, imageTokens: image.shape[1], audioTokens: audio.shape[1])
        let mask = AttentionMask.keys(present: present)
        let tokens = norm(joint(joined, mask: mask))
        // (B, T, W) · (B, T, 1) summed over T -> (B, W): the mean over present tokens.
        let embedding = (tokens * Self.meanWeights(present)).sum(axes: [1])
        let decided = decision?(embedding, parts: parts)
        return FusionOutput(
            logits: decided?.logits, embedding: embedding, tokens: tokens, tokenPresent: present,
            correction: decided?.correction)
    }

    /// Per item, whether each of its Ti + Ta tokens belongs to a present part.
    private static func tokenPresence(_ parts: PartFeatures, imageTokens: Int, audioTokens: Int) -> [[Bool]] {
        (0..<parts.count).map { row in
            [Bool](repeating: parts.image.present[row], count: imageTokens)
                + [Bool](repeating: parts.audio.present[row], count: audioTokens)
        }
    }

    /// (B, T, 1): 1/n on each of an item's n present tokens.
    private static func meanWeights(_ present: [[Bool]]) -> Tensor {
        let tokens = present.first?.count ?? 0
        return Tensor(
            present.flatMap { row in
                let share = 1 / Float(max(1, row.filter { $0 }.count))
                return row.map { $0 ? share : 0 }
            }, shape: [present.count, tokens, 1])
    }
}
