import Foundation
import XCTest

@testable import Braid
@testable import BraidTensor

/// The caption head: beam search against brute force on a toy model, the decoder's gradients and causality, how it
/// starts from the part classifiers' decisions, the word tokenizer.
final class CaptionDecoderTests: XCTestCase {
    /// A toy model over tokens 0 = start, 1 = end, 2 = A, 3 = B: the first word is A (0.6) or B (0.4); after A,
    /// A or B (0.5 each); after B, A (0.9) or B (0.1); then the end. Greedy takes A first and ends at 0.3; the most
    /// probable sequence is B A, at 0.36.
    private func toy(_ prefix: [Int]) -> [Float] {
        let distribution: [Float]
        switch prefix.count {
        case 1: distribution = [0, 0, 0.6, 0.4]
        case 2: distribution = prefix[1] == 2 ? [0, 0, 0.5, 0.5] : [0, 0, 0.9, 0.1]
        default: distribution = [0, 1, 0, 0]
        }
        return distribution.map { log(max($0, 1e-9)) }
    }

    func testBeamSearchFindsTheMostProbableSequenceThatGreedyMisses() {
        func search(width: Int) -> BeamSearch.Sequence {
            BeamSearch(width: width, maxLength: 5, startToken: 0, endToken: 1).decode(count: 1) { prefixes in
                prefixes.map { toy($0.tokens) }
            }[0]
        }
        // Brute force over every two-word sequence.
        let best = [[2, 2], [2, 3], [3, 2], [3, 3]].max { a, b in
            exp(toy([0])[a[0]] + toy([0, a[0]])[a[1]]) < exp(toy([0])[b[0]] + toy([0, b[0]])[b[1]])
        }
        XCTAssertEqual(best, [3, 2])
        let beam = search(width: 2)
        XCTAssertEqual(beam.tokens, [3, 2])
        XCTAssertEqual(beam.probabilities, [0.4, 0.9, 1], accuracy: 1e-6)
        XCTAssertEqual(search(width: 1).tokens.first, 2, "greedy takes the likelier first word")
    }

    func testBeamSearchDecodesABatchOfSequencesIndependently() {
        // Sequence 0 follows the toy model; sequence 1 always ends at once.
        let sequences = BeamSearch(width: 3, maxLength: 5, startToken: 0, endToken: 1).decode(count: 2) { prefixes in
            prefixes.map { $0.sequence == 0 ? toy($0.tokens) : [-9, 0, -9, -9] }
        }
        XCTAssertEqual(sequences.map(\.tokens), [[3, 2], []])
    }

    /// With a closed set of captions, beam search writes the most probable of them rather than the model's best
    /// sequence outside the set, with the model's own probabilities; every other word is ruled out.
    func testClosedCaptionsKeepBeamSearchToTheirSentences() {
        // A B (0.3) and B B (0.04) are allowed; the toy model's best, B A (0.36), is not, nor is A A (0.3).
        let closed = ClosedCaptions([[2, 3], [3, 3]], startToken: 0, endToken: 1)
        XCTAssertEqual(closed.restrict([-1, -2, -3, -4], after: [0]), [-.infinity, -.infinity, -3, -4])
        XCTAssertEqual(closed.restrict([-1, -2, -3, -4], after: [0, 2]), [-.infinity, -.infinity, -.infinity, -4])
        XCTAssertEqual(
            closed.restrict([-1, -2, -3, -4], after: [0, 2, 3]), [-.infinity, -2, -.infinity, -.infinity], "the end")
        XCTAssertEqual(closed.restrict([-1, -2, -3, -4], after: [0, 2, 2]), [Float](repeating: -.infinity, count: 4))
        // A prefix the set does not know has no continuation: the search ends there rather than failing.
        let stranded = BeamSearch(width: 2, maxLength: 5, startToken: 0, endToken: 1).decode(count: 1) { prefixes in
            prefixes.map { closed.restrict(toy($0.tokens), after: $0.tokens.count > 1 ? [9] : $0.tokens) }
        }[0]
        XCTAssertEqual(stranded.tokens, [2])
        for width in [1, 2, 3] {
            let best = BeamSearch(width: width, maxLength: 5, startToken: 0, endToken: 1).decode(count: 1) { prefixes in
                prefixes.map { closed.restrict(toy($0.tokens), after: $0.tokens) }
            }[0]
            XCTAssertEqual(best.tokens, [2, 3], "beam \(width)")
            XCTAssertEqual(best.probabilities, [0.6, 0.5, 1], accuracy: 1e-6)
        }
    }

    /// Words 3 and 4 are the labels of the classifiers' two classes.
    private let words = ["<s>", "</s>", "<unk>", "0", "1", "zero"]
    private let labels = ["0", "1"]

    private func decoder() throws -> CaptionDecoder {
        try CaptionDecoder(
            configuration: .init(width: 8, heads: 2, layers: 1, maxLength: 6), vocabulary: words, labels: labels,
            memoryWidth: 4, scope: .initializing(seed: 8))
    }

    /// Two items' decisions: item 0 has both parts, item 1 only its sound.
    private func decisions(seed: UInt64) -> CaptionDecoder.Decisions {
        var rng = SeededRNG(seed: seed)
        let image = Tensor.randomNormal([2, 2], using: &rng).logSoftmax() * Tensor([1, 0], shape: [2, 1])
        return CaptionDecoder.Decisions(
            image: image, audio: Tensor.randomNormal([2, 2], using: &rng).logSoftmax(),
            present: [(image: true, audio: true), (image: false, audio: true)])
    }

    func testDecoderGradientsMatchFiniteDifferences() throws {
        let decoder = try decoder()
        let path = try XCTUnwrap(decoder.decisionPath)
        var rng = SeededRNG(seed: 9)
        let memory = Tensor.randomNormal([2, 3, 4], using: &rng)
        let decisions = decisions(seed: 11)
        let report = GradCheck.check(
            [
                memory, decoder.positionEmbedding, decoder.layers[0].crossAttention.key.weight, decoder.head.weight,
                path.gate.weight, path.audioToken.weight, decisions.audio,
            ], step: 1e-3, absoluteTolerance: 2e-3
        ) { _ in
            decoder.logits(
                prefixes: [[0, 2, 3], [0, 4, 4]], memory: memory,
                memoryPresent: [[true, true, false], [true, true, true]],
                decisions: decisions)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testEachPositionSeesOnlyTheWordsBeforeItAndThePresentTokens() throws {
        let decoder = try decoder()
        var rng = SeededRNG(seed: 10)
        let memory = Tensor.randomNormal([1, 3, 4], using: &rng)
        let decisions = decisions(seed: 12).rows([0])
        func logits(_ prefix: [Int], memory: Tensor) -> [Float] {
            withNoGrad {
                decoder.logits(
                    prefixes: [prefix], memory: memory, memoryPresent: [[true, true, false]], decisions: decisions
                )
                .scalars
            }
        }
        let written = logits([0, 2, 3], memory: memory)
        let changedLater = logits([0, 2, 4], memory: memory)
        XCTAssertEqual(Array(written[0..<12]), Array(changedLater[0..<12]), "positions 0 and 1 do not see word 2")
        XCTAssertNotEqual(Array(written[12..<18]), Array(changedLater[12..<18]))
        // A hidden token's values do not matter.
        let hidden = memory.scalars.enumerated().map { $0.offset >= 8 ? Float(100) : $0.element }
        XCTAssertEqual(written, logits([0, 2, 3], memory: Tensor(hidden, shape: [1, 3, 4])), accuracy: 1e-5)
    }

    /// Each word is the mixture the gate shares out: the head's softmax, and each present part's decision on the
    /// words that are its classes' labels (no other word gets anything from it); a missing part gets no share.
    func testWordsMixTheHeadAndThePartsDecisionsAsTheGateShares() throws {
        let path = try XCTUnwrap(try decoder().decisionPath)
        var rng = SeededRNG(seed: 13)
        let (head, hidden) = (
            Tensor.randomNormal([2, 3, words.count], using: &rng), Tensor.randomNormal([2, 3, 8], using: &rng)
        )
        let decisions = decisions(seed: 14)
        let mixed = withNoGrad { path.logProbabilities(head: head, hidden: hidden, decisions: decisions) }
        XCTAssertEqual(mixed.shape, [2, 3, words.count])
        let (gate, headWords) = (withNoGrad { path.gate(hidden) }.scalars, head.scalars)
        let (image, audio) = (decisions.image.scalars, decisions.audio.scalars)
        for item in 0..<2 {
            for position in 0..<3 {
                let row = item * 3 + position
                // Item 1 has no image: its share is left out of the softmax.
                let raw = (0..<3).map { gate[row * 3 + $0] }
                let weights = raw.indices.map { $0 == 1 && item == 1 ? 0 : exp(raw[$0]) }
                let shares = weights.map { $0 / weights.reduce(0, +) }
                let headRow = (0..<words.count).map { exp(headWords[row * words.count + $0]) }
                for (word, text) in words.enumerated() {
                    let pointed =
                        labels.firstIndex(of: text).map {
                            shares[1] * (item == 1 ? 0 : exp(image[item * 2 + $0])) + shares[2]
                                * exp(audio[item * 2 + $0])
                        } ?? 0
                    let expected = shares[0] * headRow[word] / headRow.reduce(0, +) + pointed
                    XCTAssertEqual(
                        exp(mixed.scalars[row * words.count + word]), expected, accuracy: 1e-5, "\(item) \(text)")
                }
            }
        }
    }

    /// A missing part's decision, whatever its classifier's rows hold, changes nothing: its row is zeros and its
    /// memory token hidden.
    func testAMissingPartsDecisionChangesNothing() throws {
        let decoder = try decoder()
        var rng = SeededRNG(seed: 15)
        let memory = Tensor.randomNormal([1, 3, 4], using: &rng)
        func logits(imageRow: [Float]) -> [Float] {
            let part = { (row: [Float], present: Bool) in
                PartFeatures.Part(
                    tokens: .zeros([1, 1, 1]), embedding: .zeros([1, 1]), logProbabilities: Tensor(row, shape: [1, 2]),
                    present: [present])
            }
            let parts = PartFeatures(image: part(imageRow, false), audio: part([-0.1, -2.4], true))
            return withNoGrad {
                decoder.logits(
                    prefixes: [[0, 3]], memory: memory, memoryPresent: [[false, true, true]],
                    decisions: CaptionDecoder.Decisions(parts)
                ).scalars
            }
        }
        XCTAssertEqual(logits(imageRow: [-0.01, -5]), logits(imageRow: [-9, -0.0001]), accuracy: 1e-6)
    }

    /// A caption model trained before the decisions has no `from_decisions` in its `config.json` and no weights
    /// for them: it still loads, without them.
    func testAConfigurationWithoutDecisionsIsAnEarlierModel() throws {
        let earlier = try JSONDecoder().decode(
            CaptionDecoder.Configuration.self, from: Data(#"{"width":8,"heads":2,"layers":1,"max_length":6}"#.utf8))
        XCTAssertFalse(earlier.fromDecisions)
        let decoder = try CaptionDecoder(
            configuration: earlier, vocabulary: words, labels: labels, memoryWidth: 4, scope: .initializing(seed: 8))
        XCTAssertNil(decoder.decisionPath)
        let current = try JSONDecoder().decode(
            CaptionDecoder.Configuration.self, from: JSONEncoder().encode(CaptionDecoder.Configuration()))
        XCTAssertTrue(current.fromDecisions)
    }

    func testWordTokenizerRoundTripsCaptionsAndMarksUnknownWords() {
        let captions = ["a handwritten 5, spoken as five", "no image and a spoken 7"]
        let vocabulary = CaptionVocabulary(captions: captions)
        XCTAssertEqual(Array(vocabulary.words.prefix(3)), ["<s>", "</s>", "<unk>"])
        XCTAssertEqual(
            CaptionVocabulary.words(of: captions[0]), ["a", "handwritten", "5", ",", "spoken", "as", "five"])
        for caption in captions { XCTAssertEqual(vocabulary.text(of: vocabulary.encode(caption)), caption) }
        XCTAssertEqual(vocabulary.encode("a spoken 9"), [vocabulary.encode("a")[0], vocabulary.encode("spoken")[0], 2])
        XCTAssertEqual(vocabulary.text(of: [0] + vocabulary.encode("a spoken 7") + [1]), "a spoken 7")
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
