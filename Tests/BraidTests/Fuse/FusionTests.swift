import XCTest

@testable import Braid
@testable import BraidTensor

/// The three fusion stages: their gradients against finite differences, their shapes, and what a missing part
/// may (nothing) and may not change.
final class FusionTests: XCTestCase {
    /// Small random part features: B items, image tokens (4, 3), audio tokens (3, 5), embeddings of 6 and 5,
    /// K = 4 classes; `present` gives each item's (image, audio).
    private func features(_ present: [(Bool, Bool)], seed: UInt64 = 1) -> PartFeatures {
        var rng = SeededRNG(seed: seed)
        let count = present.count
        func part(tokens: [Int], width: Int, flags: [Bool]) -> PartFeatures.Part {
            let logits = Tensor.randomNormal([count, 4], using: &rng)
            return PartFeatures.Part(
                tokens: Tensor.randomNormal([count] + tokens, using: &rng),
                embedding: Tensor.randomNormal([count, width], using: &rng),
                logProbabilities: withNoGrad { logits.logSoftmax() }, present: flags)
        }
        return PartFeatures(
            image: part(tokens: [4, 3], width: 6, flags: present.map(\.0)),
            audio: part(tokens: [3, 5], width: 5, flags: present.map(\.1)))
    }

    /// `features` with the missing parts' values replaced by other random values.
    private func scrambled(_ features: PartFeatures) -> PartFeatures {
        let other = self.features(zip(features.image.present, features.audio.present).map { ($0, $1) }, seed: 99)
        func mix(_ kept: PartFeatures.Part, _ noise: PartFeatures.Part) -> PartFeatures.Part {
            func blend(_ a: Tensor, _ b: Tensor) -> Tensor {
                let rowSize = a.count / kept.present.count
                let values = (0..<a.count).map { kept.present[$0 / rowSize] ? a.scalars[$0] : b.scalars[$0] }
                return Tensor(values, shape: a.shape)
            }
            return PartFeatures.Part(
                tokens: blend(kept.tokens, noise.tokens), embedding: blend(kept.embedding, noise.embedding),
                logProbabilities: blend(kept.logProbabilities, noise.logProbabilities), present: kept.present)
        }
        return PartFeatures(image: mix(features.image, other.image), audio: mix(features.audio, other.audio))
    }

    private func early() throws -> EarlyFusion {
        try EarlyFusion(
            configuration: .init(hiddenSize: 7, dropout: 0), imageWidth: 6, audioWidth: 5, classes: 4,
            scope: .initializing(seed: 2))
    }

    private func cross() throws -> CrossAttentionFusion {
        try CrossAttentionFusion(
            configuration: .init(width: 8, heads: 2), imageTokens: [4, 3], audioTokens: [3, 5], imageWidth: 6,
            audioWidth: 5, classes: 4,
            scope: .initializing(seed: 3))
    }

    func testEarlyFusionGradientsMatchFiniteDifferences() throws {
        let network = try early()
        let parts = features([(true, true), (true, false), (false, true)])
        let report = GradCheck.check(
            [
                parts.image.embedding, parts.audio.embedding, parts.audio.logProbabilities, network.hidden.weight,
                network.decision.experts.weight, network.decision.head.weight,
            ]
        ) { _ in
            var rng = SeededRNG(seed: 0)
            return network(parts, training: false, rng: &rng).logits!
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    private func lateFusion(seed: UInt64) throws -> LateFusion {
        // Each part's description: its tokens (4 × 3, 3 × 5) and its embedding (6, 5).
        try LateFusion(
            configuration: .init(), imageSize: 12 + 6, audioSize: 15 + 5, classes: 4, scope: .initializing(seed: seed))
    }

    /// W₂·GELU(W₁·x + b₁) + b₂ of a two-layer `network`, from its parameters.
    private func twoLayers(_ network: MLP, _ x: [Float]) -> [Float] {
        let (first, second) = (network.layers[0], network.layers[1])
        let width = first.weight.shape[0]
        func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x / Float(2).squareRoot())) }
        func affine(_ layer: Linear, _ x: [Float], _ unit: Int) -> Float {
            zip(x, layer.weight.scalars[unit * x.count..<(unit + 1) * x.count])
                .reduce(layer.bias!.scalars[unit]) { $0 + $1.0 * $1.1 }
        }
        let hidden = (0..<width).map { gelu(affine(first, x, $0)) }
        return (0..<second.weight.shape[0]).map { affine(second, hidden, $0) }
    }

    func testLateFusionIsAGatedProductOfExpertsAndItsGradientsMatch() throws {
        let network = try lateFusion(seed: 4)
        for k in 0..<4 { network.bias.pointer[k] = Float(k) * 0.1 }
        let parts = features([(true, true), (true, false), (false, true)])
        let logits = try XCTUnwrap(network(parts).logits).scalars
        let (image, audio) = (parts.image.logProbabilities.scalars, parts.audio.logProbabilities.scalars)
        let reliability = try XCTUnwrap(network.reliability)
        for row in 0..<3 {
            let (hasImage, hasAudio) = (parts.image.present[row], parts.audio.present[row])
            let (imageDecision, audioDecision) = (
                (0..<4).map { hasImage ? image[row * 4 + $0] : 0 }, (0..<4).map { hasAudio ? audio[row * 4 + $0] : 0 }
            )
            // The two weights per item: softplus(gate(x) + reliability(its part's description) + 0.5413), x both
            // experts' log-probabilities (zeros for a missing one), the same sorted from the largest down, and the
            // presence flags.
            let input =
                imageDecision + audioDecision + imageDecision.sorted(by: >) + audioDecision.sorted(by: >)
                + [hasImage ? 1 : 0, hasAudio ? 1 : 0]
            let gate = twoLayers(network.gate, input)
            // An item's description: its tokens in order, then its embedding.
            func description(_ part: PartFeatures.Part, tokens: Int, width: Int) -> [Float] {
                Array(part.tokens.scalars[row * tokens..<(row + 1) * tokens])
                    + Array(part.embedding.scalars[row * width..<(row + 1) * width])
            }
            let imageReliability = twoLayers(reliability.image, description(parts.image, tokens: 12, width: 6))
            let audioReliability = twoLayers(reliability.audio, description(parts.audio, tokens: 15, width: 5))
            let weights = [gate[0] + imageReliability[0], gate[1] + audioReliability[0]].map {
                log(1 + exp($0 + 0.5413))
            }
            for k in 0..<4 {
                // The biases only where both parts are there.
                let expected =
                    weights[0] * input[k] + weights[1] * input[4 + k] + (hasImage && hasAudio ? Float(k) * 0.1 : 0)
                XCTAssertEqual(logits[row * 4 + k], expected, accuracy: 1e-4, "item \(row) class \(k)")
            }
        }
        let report = GradCheck.check(
            [
                network.gate.layers[0].weight, network.gate.layers[1].weight, reliability.image.layers[0].weight,
                reliability.audio.layers[1].weight, network.bias, parts.image.logProbabilities, parts.image.tokens,
                parts.audio.embedding,
            ]
        ) { _ in network(parts).logits! }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// A late fusion model trained before its experts' weights read their parts' descriptions has no
    /// `stream_reliability` in its configuration, and is built as it was trained: weighing by the decisions alone.
    func testALateFusionConfigurationFromBeforeStreamReliabilityWeighsByTheDecisionsAlone() throws {
        let old = try JSONDecoder().decode(LateFusion.Configuration.self, from: Data("{}".utf8))
        XCTAssertFalse(old.streamReliability)
        XCTAssertTrue(LateFusion.Configuration().streamReliability)
        let network = try LateFusion(
            configuration: old, imageSize: 12 + 6, audioSize: 15 + 5, classes: 4, scope: .initializing(seed: 4))
        XCTAssertNil(network.reliability)
        // Its output depends on the decisions alone.
        let parts = features([(true, true), (true, false)])
        let other = PartFeatures(
            image: PartFeatures.Part(
                tokens: parts.image.tokens * 2, embedding: parts.image.embedding * 3,
                logProbabilities: parts.image.logProbabilities, present: parts.image.present),
            audio: parts.audio)
        assertClose(network(parts).logits!.scalars, network(other).logits!.scalars, accuracy: 1e-6)
    }

    func testCrossAttentionFusionGradientsMatchFiniteDifferences() throws {
        let network = try cross()
        let parts = features([(true, true), (true, false), (false, true)])
        let report = GradCheck.check(
            [
                parts.image.tokens, parts.audio.tokens, parts.audio.embedding, network.imagePosition,
                network.imageToAudio.query.weight, network.decision!.experts.weight,
            ],
            step: 1e-2, absoluteTolerance: 2e-3
        ) { _ in
            let output = network(parts)
            // The tokens and the decision both reach a caption decoder or a loss.
            return Tensor.concatenate([output.logits!, output.embedding], axis: 1)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// Early and cross-attention fusion decide as the classifiers' decisions weighted by a gate over the fused
    /// embedding, plus a correction from it only where both parts are there: an item with one part gets exactly
    /// that part's classifier's decision, scaled.
    func testTheDecisionHeadWeighsTheClassifiersAndCorrectsOnlyJointItems() throws {
        let parts = features([(true, true), (true, false), (false, true)])
        var rng = SeededRNG(seed: 0)
        let earlyNetwork = try early()
        let crossNetwork = try cross()
        let outputs = [
            (earlyNetwork.decision, earlyNetwork(parts, training: false, rng: &rng)),
            (crossNetwork.decision!, crossNetwork(parts)),
        ]
        let (image, audio) = (parts.image.logProbabilities.scalars, parts.audio.logProbabilities.scalars)
        for (decision, output) in outputs {
            let (logits, embedding) = (output.logits!.scalars, output.embedding)
            let width = embedding.shape[1]
            // Each layer by hand: y = W·e + b for the gate's two outputs and the head's four.
            func layer(_ linear: Linear, row: Int, unit: Int) -> Float {
                (0..<width).reduce(linear.bias!.scalars[unit]) {
                    $0 + linear.weight.scalars[unit * width + $1] * embedding.scalars[row * width + $1]
                }
            }
            for row in 0..<3 {
                let weights = (0..<2).map { log(1 + exp(layer(decision.experts, row: row, unit: $0) + 0.5413)) }
                let both: Float = row == 0 ? 1 : 0
                for k in 0..<4 {
                    let expected =
                        weights[0] * (parts.image.present[row] ? image[row * 4 + k] : 0)
                        + weights[1] * (parts.audio.present[row] ? audio[row * 4 + k] : 0)
                        + both * layer(decision.head, row: row, unit: k)
                    XCTAssertEqual(logits[row * 4 + k], expected, accuracy: 1e-4, "item \(row) class \(k)")
                }
            }
            let decisions = output.logits!.argmax(axis: 1)
            XCTAssertEqual(decisions[1], parts.image.logProbabilities.argmax(axis: 1)[1], "image only")
            XCTAssertEqual(decisions[2], parts.audio.logProbabilities.argmax(axis: 1)[2], "sound only")
            XCTAssertEqual(output.correction?.scalars.suffix(8), [Float](repeating: 0, count: 8)[...])
        }
    }

    /// Training adds the mean square of the correction to the cross-entropy, so that the network corrects the
    /// classifiers only where that pays.
    func testFusionTrainingPenalisesTheCorrection() throws {
        let network = try early()
        let parts = features([(true, true), (true, true), (false, true)])
        let labels = [0, 3, 1]
        var rng = SeededRNG(seed: 0)
        let output = network(parts, training: false, rng: &rng)
        let correction = output.correction!.scalars
        let expected =
            Tensor.crossEntropy(logits: output.logits!, targets: labels).item
            + FusionTraining.correctionPenalty * correction.map { $0 * $0 }.reduce(0, +) / Float(correction.count)
        let loss = FusionTraining.loss(of: output, labels: labels).loss.item
        XCTAssertEqual(loss, expected, accuracy: 1e-5)
        XCTAssertGreaterThan(correction.map(abs).max()!, 0.01, "an untrained head corrects something")
    }

    func testShapesAndTokenPresence() throws {
        let parts = features([(true, true), (true, false), (false, true)])
        var rng = SeededRNG(seed: 0)
        let earlyOutput = try early()(parts, training: false, rng: &rng)
        XCTAssertEqual(earlyOutput.logits?.shape, [3, 4])
        XCTAssertEqual(earlyOutput.embedding.shape, [3, 7])
        let crossOutput = try cross()(parts)
        XCTAssertEqual(crossOutput.logits?.shape, [3, 4])
        XCTAssertEqual(crossOutput.embedding.shape, [3, 8])
        XCTAssertEqual(crossOutput.tokens?.shape, [3, 9, 8], "(B, Ti + 1 + Ta + 1, W)")
        XCTAssertEqual(crossOutput.tokenPresent[0], [Bool](repeating: true, count: 9))
        XCTAssertEqual(
            crossOutput.tokenPresent[1], [Bool](repeating: true, count: 5) + [Bool](repeating: false, count: 4))
        XCTAssertEqual(
            crossOutput.tokenPresent[2], [Bool](repeating: false, count: 5) + [Bool](repeating: true, count: 4))
        XCTAssertEqual(parts.present(1), [.image])
        XCTAssertEqual(parts.present(2), [.audio])
    }

    /// Whatever the encoders left in a missing part's rows, no fusion stage's output may change.
    func testAMissingPartsValuesChangeNothing() throws {
        let parts = features([(true, true), (true, false), (false, true)])
        let other = scrambled(parts)
        var rng = SeededRNG(seed: 0)
        let early = try early()
        assertClose(
            early(parts, training: false, rng: &rng).logits!.scalars,
            early(other, training: false, rng: &rng).logits!.scalars, accuracy: 1e-6)
        let late = try lateFusion(seed: 5)
        assertClose(late(parts).logits!.scalars, late(other).logits!.scalars, accuracy: 1e-6)
        let cross = try cross()
        let (a, b) = (cross(parts), cross(other))
        assertClose(a.logits!.scalars, b.logits!.scalars, accuracy: 1e-5)
        assertClose(a.embedding.scalars, b.embedding.scalars, accuracy: 1e-5)
        // The present parts' tokens are the same too: only masked tokens may differ.
        let (tokensA, tokensB, width) = (a.tokens!.scalars, b.tokens!.scalars, 8)
        for row in 0..<3 {
            for (token, present) in a.tokenPresent[row].enumerated() where present {
                let start = (row * 9 + token) * width
                assertClose(
                    Array(tokensA[start..<start + width]), Array(tokensB[start..<start + width]), accuracy: 1e-5)
            }
        }
    }

    func testDroppingAPartLeavesLateFusionWithTheOtherExpertsDecision() throws {
        let late = try lateFusion(seed: 6)
        // A prior strong enough to outvote either expert, were it added to an item with one part.
        for k in 0..<4 { late.bias.pointer[k] = Float(k) * 50 }
        let parts = features([(false, true), (true, false)])
        let decisions = late(parts).logits!.argmax(axis: 1)
        XCTAssertEqual(decisions[0], parts.audio.logProbabilities.argmax(axis: 1)[0])
        XCTAssertEqual(decisions[1], parts.image.logProbabilities.argmax(axis: 1)[1])
    }
}
