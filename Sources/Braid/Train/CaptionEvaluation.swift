import BraidTensor
import Foundation

/// How a caption model does on captioned pairs: the share of captions it writes exactly, overall and by the parts
/// the pairs have, with the first mistakes to look at.
public struct CaptionEvaluation: Encodable, Sendable {
    public struct Score: Encodable, Sendable, Equatable {
        public var exact: Double
        public var count: Int
    }

    public struct Mistake: Encodable, Sendable, Equatable {
        public var id: String
        public var expected: String
        public var got: String
    }

    public var model: String
    public var examples: Int
    public var failed: Int
    public var beam: Int
    public var exact: Double
    /// By the parts present: `image+audio`, `image`, `audio`.
    public var byParts: [String: Score]
    public var mistakes: [Mistake]

    enum CodingKeys: String, CodingKey {
        case model, examples, failed, beam, exact
        case byParts = "by_parts"
        case mistakes
    }

    /// Reads `data` (pairs whose label is their caption) through the decode stage and captions every pair as
    /// `braid caption` does.
    public static func evaluate(
        _ model: CaptionModel, on data: LabelledData, beam: Int, batchSize: Int = 128, decodeJobs: Int,
        progress: ProgressBar? = nil
    ) async throws -> CaptionEvaluation {
        let fusion = model.fusion
        let examples = try await ExampleSet.load(
            data, split: nil, cacheBytes: 1 << 30, decodeJobs: decodeJobs, errors: .standardError(),
            progress: progress, frontEnd: PairExample.frontEnd(fusion.encoders))
        var scores: [String: (exact: Int, count: Int)] = [:]
        var mistakes: [Mistake] = []
        for try await batch in examples.validationBatches(batchSize: batchSize) {
            let encoded = try fusion.encoders.encode(batch.examples.map { PairExample.parts(of: $0.values) })
            let fused = fusion.fuse(zip(batch.examples, encoded).map { EncodedItem(id: $0.id, parts: $1) })
            for ((example, item), caption) in zip(zip(batch.examples, fused), model.captions(fused, beam: beam)) {
                let parts = item.parts.map(\.rawValue).joined(separator: "+")
                let expected = examples.labels[example.label]
                let right = caption.text == expected
                scores[parts, default: (0, 0)].count += 1
                if right { scores[parts, default: (0, 0)].exact += 1 }
                if !right && mistakes.count < 20 {
                    mistakes.append(Mistake(id: example.id, expected: expected, got: caption.text))
                }
            }
        }
        let (exact, count) = scores.values.reduce((0, 0)) { ($0.0 + $1.exact, $0.1 + $1.count) }
        return CaptionEvaluation(
            model: model.name, examples: count, failed: examples.failedCount, beam: beam,
            exact: count > 0 ? Double(exact) / Double(count) : 0,
            byParts: scores.mapValues { Score(exact: Double($0.exact) / Double($0.count), count: $0.count) },
            mistakes: mistakes)
    }
}
