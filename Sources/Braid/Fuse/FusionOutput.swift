import BraidTensor

/// What a fusion stage makes of a batch of items' parts.
///
/// Dimension legend: B batch, K classes, E fused embedding width, T fused tokens, W their width.
struct FusionOutput {
    /// (B, K): the class scores of the joint decision; nil for a fusion that only feeds a decoder.
    let logits: Tensor?
    /// (B, E): the fused embedding `braid embed --fuse` writes.
    let embedding: Tensor
    /// (B, T, W): the fused tokens a caption decoder attends to; nil for a stage that keeps none.
    var tokens: Tensor? = nil
    /// Per item and token, whether the token belongs to a present part: whatever attends to `tokens` must hide the
    /// others (``AttentionMask/keys(present:)``).
    var tokenPresent: [[Bool]] = []
    /// (B, K): what the network adds to the part classifiers' weighted decisions (``DecisionHead``); training keeps
    /// it small. Nil for a stage without one.
    var correction: Tensor? = nil
}

extension PartFeatures {
    /// (B, 2): each item's presence flags, image then sound, for stages that must be told what is missing.
    var presenceFlags: Tensor {
        Tensor(
            zip(image.present, audio.present).flatMap { [$0 ? 1 : 0, $1 ? 1 : 0] }, shape: [count, 2])
    }
}
