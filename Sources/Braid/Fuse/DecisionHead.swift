import BraidTensor

/// The joint decision of a fusion network that sees more than the parts' decisions (early and cross-attention
/// fusion): the part classifiers' own log-probabilities, weighted per item by a gate over the fused embedding, plus,
/// where both parts are there, a learned correction read from the same embedding.
///
///     embedding (B, H) ─ Linear ─ softplus ─▶ w (B, 2)
///     logits = w_image · log p_image · has image + w_audio · log p_audio · has audio
///              + head(embedding) · has image · has audio ─▶ (B, K)
///
/// Why the classifiers' decisions and not only a head over the embedding: trained on parts the part encoders
/// trained on, where the classifiers are all but always right, a head alone learned the digit again from those
/// parts and read a new part worse than its classifier does (with no image, on 10,000 pairs of parts both encoders
/// held out, early and cross-attention fusion were right on 9,926 where the sound classifier was right on all).
/// Starting from the classifiers' product (an untrained gate weighs both near 1) leaves the network to learn only
/// when to trust a part less, which it can tell from the fused embedding (noise, a hidden patch), where late fusion
/// judges each part on its own. The correction is for what two parts say together; an item with one part gets that
/// part's classifier's decision, which is the best reading of it alone.
///
/// Dimension legend: B batch, H the fused embedding's width, K classes.
struct DecisionHead: Sendable {
    let head: Linear
    let experts: Linear

    /// Weights `head.*` and `experts.*` in `scope`, beside the network's own.
    init(scope: WeightScope, width: Int, classes: Int) throws {
        head = try Linear(scope: scope.scope("head"), inFeatures: width, outFeatures: classes)
        experts = try Linear(scope: scope.scope("experts"), inFeatures: width, outFeatures: 2)
    }

    /// (B, H) -> (B, K) logits for `parts`, and the correction in them.
    func callAsFunction(_ embedding: Tensor, parts: PartFeatures) -> (logits: Tensor, correction: Tensor) {
        // (B, K) · (B, 1): no correction for an item with one part.
        let correction = head(embedding) * parts.bothPresent
        return (parts.weightedDecisions(gate: experts(embedding)) + correction, correction)
    }
}
