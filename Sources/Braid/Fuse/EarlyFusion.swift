import BraidTensor

/// Early fusion: the parts' pooled embeddings, joined with flags saying which parts are there, go through one
/// joint network, which learns from the start how the two modalities bear on each other (Baltrušaitis et al.,
/// "Multimodal Machine Learning: A Survey and Taxonomy", 2019, section 5).
///
///     image embedding (B, Ei) ‖ audio embedding (B, Ea) ‖ present (B, 2)
///        ─ Linear + GELU ─▶ embedding (B, H) ─ dropout ─ decision head (the classifiers' weighted decisions
///        + a correction, ``DecisionHead``) ─▶ logits (B, K)
///
/// A missing part's embedding is zeros, and its flag says so; an item with one part gets that part's classifier's
/// decision.
///
/// Dimension legend: B batch, Ei and Ea the encoders' embedding widths, H hidden width, K classes.
struct EarlyFusion: Sendable {
    struct Configuration: Codable, Sendable, Equatable {
        var hiddenSize = 256
        var dropout: Float = 0.2

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size"
            case dropout
        }
    }

    let configuration: Configuration
    let hidden: Linear
    let decision: DecisionHead

    init(configuration: Configuration, imageWidth: Int, audioWidth: Int, classes: Int, scope: WeightScope) throws {
        self.configuration = configuration
        hidden = try Linear(
            scope: scope.scope("hidden"), inFeatures: imageWidth + audioWidth + 2, outFeatures: configuration.hiddenSize)
        decision = try DecisionHead(scope: scope, width: configuration.hiddenSize, classes: classes)
    }

    func callAsFunction(_ parts: PartFeatures, training: Bool, rng: inout SeededRNG) -> FusionOutput {
        // (B, Ei) ‖ (B, Ea) ‖ (B, 2) -> (B, Ei + Ea + 2), a missing part's values zeroed whatever they were.
        let joined = Tensor.concatenate(
            [
                parts.image.embedding * parts.image.presenceMask(rank: 2),
                parts.audio.embedding * parts.audio.presenceMask(rank: 2), parts.presenceFlags,
            ], axis: 1)
        let embedding = hidden(joined, activation: .gelu)
        let decided = decision(
            embedding.dropout(probability: configuration.dropout, training: training, using: &rng), parts: parts)
        return FusionOutput(logits: decided.logits, embedding: embedding, correction: decided.correction)
    }
}
