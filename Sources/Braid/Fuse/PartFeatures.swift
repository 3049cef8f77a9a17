import BraidTensor
import Foundation

/// A batch of multimodal items as their frozen part encoders describe them: what every fusion stage takes.
///
/// A missing part's rows are zeros and its `present` flag is false; every fusion stage must ignore them.
///
/// Dimension legend: B batch, T a part's tokens (image grid cells, sound time steps), C their width, E the
/// encoder's embedding width, K classes.
public struct PartFeatures: Sendable {
    /// One part's description across the batch.
    public struct Part: Sendable {
        /// (B, T, C): the encoder's last convolution stage, position by position.
        public let tokens: Tensor
        /// (B, E): the encoder's hidden layer, L2-normalised.
        public let embedding: Tensor
        /// (B, K): the encoder's own decision, as log-probabilities.
        public let logProbabilities: Tensor
        /// Per item, whether the part is there.
        public let present: [Bool]

        public init(tokens: Tensor, embedding: Tensor, logProbabilities: Tensor, present: [Bool]) {
            self.tokens = tokens
            self.embedding = embedding
            self.logProbabilities = logProbabilities
            self.present = present
        }

        /// One encoder's predictions for a batch, nil for items without the part, as tensors (zeros for those).
        init(_ predictions: [Classifier.Prediction?], tokenShape: [Int], width: Int, classes: Int) {
            let (count, tokenCount) = (predictions.count, Shape.count(tokenShape))
            var tokens = [Float](repeating: 0, count: count * tokenCount)
            var embedding = [Float](repeating: 0, count: count * width)
            var logProbabilities = [Float](repeating: 0, count: count * classes)
            for (row, prediction) in predictions.enumerated() {
                guard let prediction else { continue }
                tokens.replaceSubrange(row * tokenCount..<(row + 1) * tokenCount, with: prediction.tokens)
                embedding.replaceSubrange(row * width..<(row + 1) * width, with: prediction.embedding)
                // The floor keeps a confident encoder's zero probabilities finite.
                logProbabilities.replaceSubrange(
                    row * classes..<(row + 1) * classes, with: prediction.probabilities.map { log(max($0, 1e-12)) })
            }
            self.init(
                tokens: Tensor(tokens, shape: [count] + tokenShape), embedding: Tensor(embedding, shape: [count, width]),
                logProbabilities: Tensor(logProbabilities, shape: [count, classes]),
                present: predictions.map { $0 != nil })
        }

        /// (B, K): the encoder's decision where the part is there, zeros where not (whatever its rows hold).
        var decision: Tensor { logProbabilities * presenceMask(rank: 2) }

        /// (B, 1, …, 1) of rank `rank`: 1 where the part is there, 0 where not, to scale what it contributes.
        func presenceMask(rank: Int) -> Tensor {
            Tensor(present.map { $0 ? 1 : 0 }, shape: [present.count] + [Int](repeating: 1, count: rank - 1))
        }
    }

    public let image: Part
    public let audio: Part

    public var count: Int { image.present.count }

    public init(image: Part, audio: Part) {
        precondition(image.present.count == audio.present.count, "parts of different batch sizes")
        self.image = image
        self.audio = audio
    }

    /// The parts present in item `row`, image first.
    public func present(_ row: Int) -> [Modality] {
        (image.present[row] ? [.image] : []) + (audio.present[row] ? [.audio] : [])
    }
}

extension PartFeatures {
    /// (B, 1): 1 for an item with both parts, 0 for one with one; what only a joint decision adds is masked by it,
    /// so an item with one part keeps that part's decision.
    var bothPresent: Tensor { image.presenceMask(rank: 2) * audio.presenceMask(rank: 2) }

    /// (B, K): the part classifiers' log-probabilities as a weighted product of experts,
    /// `w_image · log p_image + w_audio · log p_audio`, a missing part's term left out (which leaves the other
    /// expert's decision as it was).
    /// - Parameter gate: (B, 2) raw weights, image then sound; `softplus(gate + 0.5413)` makes a gate of zeros weigh
    ///   both experts 1.
    func weightedDecisions(gate: Tensor) -> Tensor {
        let weights = (gate + 0.5413).softplus()
        // (B, K) · (B, 1) for each expert.
        return image.decision * weights.sliced(axis: 1, 0..<1) + audio.decision * weights.sliced(axis: 1, 1..<2)
    }
}
