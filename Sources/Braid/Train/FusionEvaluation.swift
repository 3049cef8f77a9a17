import BraidTensor
import Foundation

/// How a fusion model does on labelled pairs under one corruption, beside each of its encoders alone on the same
/// corrupted parts: one row of the README's robustness table, with the first mistakes to look at.
public struct FusionEvaluation: Encodable, Sendable {
    /// A pair the fused decision got wrong, beside what each part's classifier said of it alone.
    public struct Mistake: Encodable, Sendable, Equatable {
        public struct Decision: Encodable, Sendable, Equatable {
            public var label: String
            /// The classifier's probability for its label, and for the pair's true label.
            public var p: Double
            public var pExpected: Double

            enum CodingKeys: String, CodingKey {
                case label, p
                case pExpected = "p_expected"
            }
        }

        public var id: String
        public var expected: String
        public var got: String
        /// Nil for a part the pair lacked.
        public var image: Decision?
        public var audio: Decision?
    }

    public var model: String
    public var examples: Int
    public var failed: Int
    public var corruption: PartCorruption
    /// The fused decision's accuracy.
    public var accuracy: Double
    /// The image classifier's accuracy alone; nil when no pair kept its image.
    public var imageOnly: Double?
    /// The sound classifier's accuracy alone; nil when no pair kept its sound.
    public var audioOnly: Double?
    /// The first 20.
    public var mistakes: [Mistake]

    enum CodingKeys: String, CodingKey {
        case model, examples, failed, corruption, accuracy
        case imageOnly = "image_only"
        case audioOnly = "audio_only"
        case mistakes
    }

    /// Reads `data` through the decode stage, corrupts every pair as `corruption` says (each from a generator
    /// seeded by its place, so every run and every model sees the same corrupted pairs), and decides.
    public static func evaluate(
        _ fusion: Fusion, on data: LabelledData, corruption: PartCorruption, batchSize: Int = 256, decodeJobs: Int,
        progress: ProgressBar? = nil
    ) async throws -> FusionEvaluation {
        let examples = try await ExampleSet.load(
            data, split: nil, labels: fusion.labels, cacheBytes: 1 << 30, decodeJobs: decodeJobs,
            errors: .standardError(), progress: progress, frontEnd: PairExample.frontEnd(fusion.encoders))
        var counts = (fused: 0, image: 0, audio: 0, withImage: 0, withAudio: 0, total: 0)
        var mistakes: [Mistake] = []
        for try await batch in examples.validationBatches(batchSize: batchSize) {
            let features = try PairExample.features(
                of: batch.examples, encoders: fusion.encoders, seed: PartCorruption.evaluationSeed(batch: batch.index),
                corruption: { _ in corruption })
            var rng = SeededRNG(seed: 0)
            let output = withNoGrad { fusion.network(features, training: false, rng: &rng) }
            let fused = output.logits?.argmax(axis: 1) ?? []
            let image = features.image.logProbabilities.argmax(axis: 1)
            let audio = features.audio.logProbabilities.argmax(axis: 1)
            for (row, example) in batch.examples.enumerated() {
                counts.total += 1
                if fused[row] == example.label {
                    counts.fused += 1
                } else if mistakes.count < 20 {
                    mistakes.append(
                        Mistake(
                            id: example.id, expected: fusion.labels[example.label], got: fusion.labels[fused[row]],
                            image: Mistake.Decision(
                                features.image, row: row, choice: image[row], of: example.label, fusion.labels),
                            audio: Mistake.Decision(
                                features.audio, row: row, choice: audio[row], of: example.label, fusion.labels)))
                }
                if features.image.present[row] {
                    counts.withImage += 1
                    if image[row] == example.label { counts.image += 1 }
                }
                if features.audio.present[row] {
                    counts.withAudio += 1
                    if audio[row] == example.label { counts.audio += 1 }
                }
            }
        }
        // A single modality's accuracy is over all pairs: one without that part is one it cannot get right.
        func share(_ count: Int, present: Int) -> Double? {
            present > 0 ? Double(count) / Double(counts.total) : nil
        }
        return FusionEvaluation(
            model: fusion.name, examples: counts.total, failed: examples.failedCount, corruption: corruption,
            accuracy: counts.total > 0 ? Double(counts.fused) / Double(counts.total) : 0,
            imageOnly: share(counts.image, present: counts.withImage),
            audioOnly: share(counts.audio, present: counts.withAudio), mistakes: mistakes)
    }
}

extension FusionEvaluation.Mistake.Decision {
    /// What `part`'s classifier said of item `row` (it chose class `choice`, the item is of class `expected`), nil
    /// where the item lacks the part.
    init?(_ part: PartFeatures.Part, row: Int, choice: Int, of expected: Int, _ labels: [String]) {
        guard part.present[row] else { return nil }
        // (B, K) -> row `row`'s K log-probabilities.
        let logProbabilities = part.logProbabilities.scalars[row * labels.count..<(row + 1) * labels.count]
        let start = logProbabilities.startIndex
        self.init(
            label: labels[choice], p: Double(exp(logProbabilities[start + choice])),
            pExpected: Double(exp(logProbabilities[start + expected])))
    }
}
