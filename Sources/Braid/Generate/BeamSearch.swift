import Foundation

/// Decoding a sequence model's output: beam search keeps the `width` most probable prefixes of every sequence at
/// each step and ends with the most probable finished sequence; `width` 1 is greedy decoding.
///
/// A sequence's score is the sum of its tokens' log-probabilities, so the result is the most probable sequence
/// the beam found. All sequences of a batch advance together, so the model runs once per step for all their
/// beams.
struct BeamSearch: Sendable {
    /// A decoded sequence: its tokens (without the start and end markers) and each token's probability, the end
    /// marker's last.
    struct Sequence: Sendable, Equatable {
        var tokens: [Int]
        var probabilities: [Float]
    }

    /// One prefix the model must score: the sequence it belongs to, and its tokens so far, start marker first.
    struct Prefix: Sendable, Equatable {
        let sequence: Int
        let tokens: [Int]
    }

    let width: Int
    let maxLength: Int
    let startToken: Int
    let endToken: Int

    private struct Beam {
        var tokens: [Int]
        var logProbabilities: [Float]
        var score: Float
        var finished: Bool
    }

    /// Decodes `count` sequences.
    /// - Parameter logProbabilities: For each prefix, the log-probability of every next token.
    func decode(count: Int, logProbabilities: ([Prefix]) -> [[Float]]) -> [Sequence] {
        var beams = [[Beam]](
            repeating: [Beam(tokens: [startToken], logProbabilities: [], score: 0, finished: false)], count: count)
        for _ in 0..<maxLength {
            let open = beams.indices.flatMap { sequence in
                beams[sequence].indices.filter { !beams[sequence][$0].finished }.map { (sequence, $0) }
            }
            guard !open.isEmpty else { break }
            let scores = logProbabilities(open.map { Prefix(sequence: $0.0, tokens: beams[$0.0][$0.1].tokens) })
            var candidates = beams.map { $0.filter(\.finished) }
            for ((sequence, beam), next) in zip(open, scores) {
                let parent = beams[sequence][beam]
                for token in Self.best(width, of: next) {
                    candidates[sequence].append(
                        Beam(
                            tokens: parent.tokens + [token], logProbabilities: parent.logProbabilities + [next[token]],
                            score: parent.score + next[token], finished: token == endToken))
                }
            }
            // A sequence whose every continuation a constraint rules out ends where it is, rather than with no beam.
            beams = zip(beams, candidates).map { current, next in
                next.isEmpty
                    ? current.map { beam in
                        var ended = beam
                        ended.finished = true
                        return ended
                    }
                    : Array(next.sorted { $0.score > $1.score }.prefix(width))
            }
        }
        return beams.map { sequence in
            let best = sequence.first { $0.finished } ?? sequence[0]
            let tokens = best.tokens.dropFirst().filter { $0 != endToken }
            return Sequence(tokens: Array(tokens), probabilities: best.logProbabilities.map { Foundation.exp($0) })
        }
    }

    /// The indices of the `count` largest values, largest first; a token scored -∞ (one a constraint rules out)
    /// never.
    private static func best(_ count: Int, of values: [Float]) -> [Int] {
        Array(values.indices.filter { values[$0] > -.infinity }.sorted { values[$0] > values[$1] }.prefix(count))
    }
}
