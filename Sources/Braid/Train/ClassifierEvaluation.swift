import BraidTensor
import Foundation

/// How a classifier does on labelled data: `braid eval`'s report.
public struct ClassifierEvaluation: Encodable, Sendable {
    public struct Score: Encodable, Sendable, Equatable {
        public var accuracy: Double
        public var count: Int
    }

    public var model: String
    /// Examples evaluated.
    public var examples: Int
    /// Items that could not be read, decoded or labelled, or whose label the model does not know.
    public var failed: Int
    public var accuracy: Double
    public var labels: [String]
    public var perClass: [String: Score]
    /// `confusion[t][p]`: examples of label `t` the model called `p`, in `labels` order.
    public var confusion: [[Int]]
    /// Accuracy per group of `--group-pattern` (FSDD's speakers), when one is given.
    public var perGroup: [String: Score]?
    /// The damage done to every item first, when any.
    public var corruption: PartCorruption?

    enum CodingKeys: String, CodingKey {
        case model, examples, failed, accuracy, labels
        case perClass = "per_class"
        case confusion
        case perGroup = "per_group"
        case corruption
    }

    /// Reads `data` through the decode stage and labels every example with `classifier`.
    /// - Parameters:
    ///   - corruption: Damage done to every example first, each from a generator seeded by its place, as
    ///     ``FusionEvaluation`` damages pairs: the same images as that part of the same pairs.
    ///   - decodeJobs: Items decoded at once.
    ///   - progress: Advanced per item read.
    public static func evaluate(
        _ classifier: Classifier, on data: LabelledData, corruption: PartCorruption? = nil, batchSize: Int = 256,
        decodeJobs: Int, progress: ProgressBar? = nil
    ) async throws -> ClassifierEvaluation {
        let examples = try await ExampleSet.load(
            data, split: nil, labels: classifier.labels, cacheBytes: 1 << 30, decodeJobs: decodeJobs,
            errors: .standardError(), progress: progress,
            frontEnd: ExampleSet.decoding { media, item in try classifier.example(from: media, id: item.id) })
        let labels = classifier.labels
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        var groups: [String: (correct: Int, count: Int)] = [:]
        let rules = try LabelRules(data)
        for try await batch in examples.validationBatches(batchSize: batchSize) {
            let seed = PartCorruption.evaluationSeed(batch: batch.index)
            let inputs = batch.examples.enumerated().map { index, example in
                guard let corruption else { return example.values }
                var rng = SeededRNG(seed: SeededRNG.derivedSeed(seed, UInt64(index)))
                return classifier.corrupt(example.values, by: corruption, rng: &rng)
            }
            let predictions = try classifier.predict(examples: inputs)
            for (example, prediction) in zip(batch.examples, predictions) {
                let predicted =
                    prediction.probabilities.indices.max { prediction.probabilities[$0] < prediction.probabilities[$1] }
                    ?? 0
                confusion[example.label][predicted] += 1
                if let group = rules.group(of: (example.id as NSString).lastPathComponent) {
                    groups[group, default: (0, 0)].count += 1
                    if predicted == example.label { groups[group, default: (0, 0)].correct += 1 }
                }
            }
        }
        let total = confusion.joined().reduce(0, +)
        let correct = labels.indices.reduce(0) { $0 + confusion[$1][$1] }
        func score(_ correct: Int, _ count: Int) -> Score {
            Score(accuracy: count > 0 ? Double(correct) / Double(count) : 0, count: count)
        }
        return ClassifierEvaluation(
            model: classifier.name, examples: total, failed: examples.failedCount,
            accuracy: total > 0 ? Double(correct) / Double(total) : 0, labels: labels,
            perClass: Dictionary(
                uniqueKeysWithValues: labels.enumerated().map {
                    ($1, score(confusion[$0][$0], confusion[$0].reduce(0, +)))
                }),
            confusion: confusion,
            perGroup: data.groupPattern == nil ? nil : groups.mapValues { score($0.correct, $0.count) },
            corruption: corruption)
    }
}
