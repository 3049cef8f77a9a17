import BraidTensor
import Foundation

/// Late fusion: each modality's classifier decides alone, and the decisions are combined as a weighted product of
/// experts, `log p(k) ∝ w_image · log p_image(k) + w_audio · log p_audio(k) + b_k` (Hinton, "Training Products of
/// Experts by Minimizing Contrastive Divergence", 2002; Kittler et al., "On Combining Classifiers", 1998, for
/// weighted rules).
///
/// Each expert's weight is learned as a function of how its decision looks, `w = softplus(g₀ + g₁·c + g₂·h)` with
/// c the expert's top log-probability and h its entropy: fixed weights cannot tell a classifier that is sure of a
/// noisy input from one sure of a clean one, and a sure wrong expert then outvotes a right one. The gate sees the
/// decisions only, as late fusion must. A missing part's term is left out, which leaves the other expert's decision
/// as it was.
///
/// Dimension legend: B batch, K classes.
struct LateFusion: Sendable {
    /// Nothing to configure: the parameters are the two gates and K biases.
    struct Configuration: Codable, Sendable, Equatable {}

    /// (3) each: the weight's bias, then its slopes on the expert's confidence and entropy.
    let imageGate: Tensor
    let audioGate: Tensor
    /// (K).
    let bias: Tensor

    init(classes: Int, scope: WeightScope) throws {
        imageGate = try scope.parameter("image_gate", shape: [3], initializer: .zeros)
        audioGate = try scope.parameter("audio_gate", shape: [3], initializer: .zeros)
        bias = try scope.parameter("bias", shape: [classes], initializer: .zeros)
    }

    func callAsFunction(_ parts: PartFeatures) -> FusionOutput {
        let image = weighted(parts.image, by: imageGate)
        let audio = weighted(parts.audio, by: audioGate)
        let logits = image + audio + bias
        return FusionOutput(logits: logits, embedding: logits.softmax())
    }

    /// The expert's log-probabilities times its weight, zero where the part is missing: (B, K).
    private func weighted(_ part: PartFeatures.Part, by gate: Tensor) -> Tensor {
        let (count, classes) = (part.logProbabilities.shape[0], part.logProbabilities.shape[1])
        let values = part.logProbabilities.scalars
        // (B, 3): 1, the top log-probability, the entropy; constants, as the encoders are frozen.
        var summary = [Float](repeating: 0, count: count * 3)
        for row in 0..<count {
            let scores = values[row * classes..<(row + 1) * classes]
            summary[row * 3] = 1
            summary[row * 3 + 1] = scores.max() ?? 0
            summary[row * 3 + 2] = -scores.reduce(0) { $0 + exp($1) * $1 }
        }
        // (B, 3) · (3, 1) -> (B, 1), a weight of softplus(0.5413) = 1 before training.
        let weight = (Tensor.matmul(Tensor(summary, shape: [count, 3]), gate.reshaped([3, 1])) + 0.5413).softplus()
        return part.logProbabilities * part.presenceMask(rank: 2) * weight
    }
}
