import BraidTensor
import XCTest

@testable import Braid

/// The caption head: beam search against brute force on a toy model, the decoder's gradients and causality, the
/// word tokenizer.
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

    private func decoder() throws -> CaptionDecoder {
        try CaptionDecoder(
            configuration: .init(width: 8, heads: 2, layers: 1, maxLength: 6), vocabularySize: 5, memoryWidth: 4,
            scope: .initializing(seed: 8))
    }

    func testDecoderGradientsMatchFiniteDifferences() throws {
        let decoder = try decoder()
        var rng = SeededRNG(seed: 9)
        let memory = Tensor.randomNormal([2, 3, 4], using: &rng)
        let report = GradCheck.check(
            [memory, decoder.positionEmbedding, decoder.layers[0].crossAttention.key.weight], step: 1e-3,
            absoluteTolerance: 2e-3
        ) { _ in
            decoder.logits(
                prefixes: [[0, 2, 3], [0, 4, 4]], memory: memory, memoryPresent: [[true, true, false], [true, true, true]])
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testEachPositionSeesOnlyTheWordsBeforeItAndThePresentTokens() throws {
        let decoder = try decoder()
        var rng = SeededRNG(seed: 10)
        let memory = Tensor.randomNormal([1, 3, 4], using: &rng)
        let logits = withNoGrad {
            decoder.logits(prefixes: [[0, 2, 3]], memory: memory, memoryPresent: [[true, true, false]]).scalars
        }
        let changedLater = withNoGrad {
            decoder.logits(prefixes: [[0, 2, 4]], memory: memory, memoryPresent: [[true, true, false]]).scalars
        }
        XCTAssertEqual(Array(logits[0..<10]), Array(changedLater[0..<10]), "positions 0 and 1 do not see word 2")
        XCTAssertNotEqual(Array(logits[10..<15]), Array(changedLater[10..<15]))
        // A hidden token's values do not matter.
        let hidden = memory.scalars.enumerated().map { $0.offset >= 8 ? Float(100) : $0.element }
        let withHiddenChanged = withNoGrad {
            decoder.logits(
                prefixes: [[0, 2, 3]], memory: Tensor(hidden, shape: [1, 3, 4]), memoryPresent: [[true, true, false]]
            ).scalars
        }
        XCTAssertEqual(logits, withHiddenChanged, accuracy: 1e-5)
    }

    func testWordTokenizerRoundTripsCaptionsAndMarksUnknownWords() {
        let captions = ["a handwritten 5, spoken as five", "no image and a spoken 7"]
        let vocabulary = CaptionVocabulary(captions: captions)
        XCTAssertEqual(Array(vocabulary.words.prefix(3)), ["<s>", "</s>", "<unk>"])
        XCTAssertEqual(CaptionVocabulary.words(of: captions[0]), ["a", "handwritten", "5", ",", "spoken", "as", "five"])
        for caption in captions { XCTAssertEqual(vocabulary.text(of: vocabulary.encode(caption)), caption) }
        XCTAssertEqual(vocabulary.encode("a spoken 9"), [vocabulary.encode("a")[0], vocabulary.encode("spoken")[0], 2])
        XCTAssertEqual(vocabulary.text(of: [0] + vocabulary.encode("a spoken 7") + [1]), "a spoken 7")
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
