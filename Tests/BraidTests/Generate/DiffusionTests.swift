import BraidTensor
import Foundation
import XCTest

@testable import Braid

/// The diffusion model's parts against their definitions: the forward process's closed form against iterated
/// noising, the samplers against each other (DDIM with η = 1 over every step is DDPM's posterior), the U-Net's blocks
/// against finite differences; then a small model trained through the shared loop lowers its loss and draws images
/// that repeat bit for bit.
final class DiffusionTests: XCTestCase {
    func testClosedFormMatchesIteratedNoisingInDistribution() {
        for kind in NoiseSchedule.Kind.allCases {
            let schedule = NoiseSchedule(kind: kind)
            let starts: [Float] = [-0.8, 0.1, 0.9]
            let draws = 4000
            let checkpoints = [99, 499, 999]
            // Per checkpoint and start: the sum and the sum of squares of x_t over the draws.
            var sums = [[Double]](repeating: [Double](repeating: 0, count: 6), count: checkpoints.count)
            var rng = SeededRNG(seed: 7)
            for _ in 0..<draws {
                var x = starts.map(Double.init)
                for t in 0..<schedule.steps {
                    let beta = schedule.betas[t]
                    for index in x.indices {
                        x[index] = (1 - beta).squareRoot() * x[index] + beta.squareRoot() * Double(rng.nextNormal())
                    }
                    if let checkpoint = checkpoints.firstIndex(of: t) {
                        for index in x.indices {
                            sums[checkpoint][2 * index] += x[index]
                            sums[checkpoint][2 * index + 1] += x[index] * x[index]
                        }
                    }
                }
            }
            for (checkpoint, t) in checkpoints.enumerated() {
                let (signal, noise) = schedule.marginal(at: t)
                for (index, start) in starts.enumerated() {
                    let mean = sums[checkpoint][2 * index] / Double(draws)
                    let variance = sums[checkpoint][2 * index + 1] / Double(draws) - mean * mean
                    // Five standard errors of the mean, and of a variance near 1 (√(2/n)).
                    XCTAssertEqual(mean, Double(signal * start), accuracy: 5 / Double(draws).squareRoot(), "\(kind) t=\(t)")
                    XCTAssertEqual(
                        variance, Double(noise * noise), accuracy: 5 * (2 / Double(draws)).squareRoot(), "\(kind) t=\(t)")
                }
            }
        }
    }

    func testSchedulesAreMonotoneAndStridesStartAtPureNoise() {
        for kind in NoiseSchedule.Kind.allCases {
            let schedule = NoiseSchedule(kind: kind)
            XCTAssertTrue(zip(schedule.cumulativeAlphas, schedule.cumulativeAlphas.dropFirst()).allSatisfy { $0 > $1 })
            XCTAssertLessThan(schedule.cumulativeAlphas.last ?? 1, 1e-3, "\(kind): x_T is nearly pure noise")
            XCTAssertEqual(schedule.strided(1000), Array((0..<1000).reversed()))
            let fifty = schedule.strided(50)
            XCTAssertEqual(fifty.count, 50)
            XCTAssertEqual(fifty.first, 999)
            XCTAssertEqual(Set(fifty).count, 50)
            XCTAssertEqual(schedule.strided(1), [999])
        }
    }

    /// A sampler over a made-up network, so that the sampling arithmetic is tested apart from any training.
    private func sampler(_ prediction: DiffusionSampler.Prediction = .epsilon) -> DiffusionSampler {
        DiffusionSampler(
            schedule: NoiseSchedule(kind: .linear), prediction: prediction,
            network: { x, steps, _ in x * 0.5 + Float(steps[0]) / 2000 }, tokenWidth: 4)
    }

    private func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in rng.nextNormal() }
    }

    func testDDIMWithEtaZeroIsDeterministic() {
        let sampler = sampler()
        let x = randomValues(16, seed: 1)
        let output = randomValues(16, seed: 2)
        var first = SeededRNG(seed: 3)
        var second = SeededRNG(seed: 4)
        XCTAssertEqual(
            sampler.step(x, output: output, at: 500, previous: 480, method: .ddim(eta: 0), rng: &first),
            sampler.step(x, output: output, at: 500, previous: 480, method: .ddim(eta: 0), rng: &second),
            "no fresh noise enters a step with η = 0")
        var options = DiffusionSampler.Options()
        options.steps = 20
        let prompts: [[Float]?] = [[1, 0, 0, 0, 0, 1, 0, 0], nil]
        let once = sampler.sample(prompts: prompts, side: 4, options: options).images
        let again = sampler.sample(prompts: prompts, side: 4, options: options).images
        XCTAssertEqual(once, again)
        options.seed = 1
        XCTAssertNotEqual(sampler.sample(prompts: prompts, side: 4, options: options).images, once, "another seed")
        // Image k of a seed does not depend on how many are drawn.
        options.seed = 0
        XCTAssertEqual(sampler.sample(prompts: [prompts[0]], side: 4, options: options).images[0], once[0])
    }

    func testDDIMOverEveryStepWithEtaOneIsTheDDPMPosterior() {
        for prediction in [DiffusionSampler.Prediction.epsilon, .v] {
            let sampler = sampler(prediction)
            let schedule = sampler.schedule
            for t in [1, 10, 500, 999] {
                let x = randomValues(32, seed: UInt64(t))
                let output = randomValues(32, seed: UInt64(t) + 1)
                var rng = SeededRNG(seed: 0)
                let zero = [Float](repeating: 0, count: 32)
                let ddim = sampler.step(x, output: output, at: t, previous: t - 1, method: .ddim(eta: 1), rng: &rng, noise: zero)
                let ddpm = sampler.step(x, output: output, at: t, previous: t - 1, method: .ddpm, rng: &rng, noise: zero)
                assertClose(ddim, ddpm, accuracy: 2e-5, "the means, t = \(t), \(prediction)")
                // The posterior mean written out (Ho et al., eq. 7) from the same x̂₀.
                let start = sampler.estimates(x, output: output, at: t).start
                let (current, previous, beta) = (
                    schedule.cumulativeAlphas[t], schedule.cumulativeAlphas[t - 1], schedule.betas[t]
                )
                let expected = x.indices.map { index in
                    Float(
                        previous.squareRoot() * beta / (1 - current) * Double(start[index])
                            + (1 - beta).squareRoot() * (1 - previous) / (1 - current) * Double(x[index]))
                }
                assertClose(ddpm, expected, accuracy: 2e-5, "eq. 7, t = \(t)")
                // And the spread: the same unit noise moves both by σ = √β̃_t.
                let ones = [Float](repeating: 1, count: 32)
                let ddimNoisy = sampler.step(x, output: output, at: t, previous: t - 1, method: .ddim(eta: 1), rng: &rng, noise: ones)
                let ddpmNoisy = sampler.step(x, output: output, at: t, previous: t - 1, method: .ddpm, rng: &rng, noise: ones)
                let sigma = Float((beta * (1 - previous) / (1 - current)).squareRoot())
                assertClose(zip(ddimNoisy, ddim).map { $0 - $1 }, [Float](repeating: sigma, count: 32), accuracy: 2e-5)
                assertClose(zip(ddpmNoisy, ddpm).map { $0 - $1 }, [Float](repeating: sigma, count: 32), accuracy: 2e-5)
            }
        }
    }

    func testEstimatesRecoverTheStartFromAnExactPrediction() {
        let schedule = NoiseSchedule(kind: .cosine)
        let start = randomValues(20, seed: 9).map { max(-1, min(1, $0 / 2)) }
        let noise = randomValues(20, seed: 10)
        let t = 300
        let (a, b) = schedule.marginal(at: t)
        let x = zip(start, noise).map { a * $0 + b * $1 }
        for prediction in [DiffusionSampler.Prediction.epsilon, .v] {
            let output = zip(start, noise).map { prediction == .v ? a * $1 - b * $0 : $1 }
            let sampler = DiffusionSampler(schedule: schedule, prediction: prediction, network: { x, _, _ in x }, tokenWidth: 1)
            let estimates = sampler.estimates(x, output: output, at: t)
            assertClose(estimates.start, start, accuracy: 1e-4, "x̂₀, \(prediction)")
            assertClose(estimates.noise, noise, accuracy: 1e-4, "ε̂, \(prediction)")
        }
    }

    func testUNetBlocksGradientsMatchFiniteDifferences() throws {
        let scope = WeightScope.initializing(seed: 11)
        let residual = try DiffusionUNet.ResidualBlock(scope: scope, inChannels: 4, outChannels: 8, timeWidth: 6, groups: 2)
        var rng = SeededRNG(seed: 12)
        let input = Tensor.randomNormal([2, 4, 3, 3], using: &rng)
        let embedding = Tensor.randomNormal([2, 6], using: &rng)
        let residualReport = GradCheck.check([input, embedding] + scope.store.parameters, step: 1e-2) { inputs in
            residual(inputs[0], conditioning: inputs[1])
        }
        XCTAssertTrue(residualReport.passed, "\(residualReport)")

        let attentionScope = WeightScope.initializing(seed: 13)
        let attention = try DiffusionUNet.AttentionBlock(
            scope: attentionScope, channels: 4, contextSize: 5, heads: 2, selfAttends: true)
        let image = Tensor.randomNormal([2, 4, 2, 3], using: &rng)
        let context = Tensor.randomNormal([2, 3, 5], using: &rng)
        let mask = AttentionMask.keyPadding(validLengths: [3, 1], keys: 3)
        let attentionReport = GradCheck.check([image, context] + attentionScope.store.parameters, step: 1e-2) { inputs in
            attention(inputs[0], context: inputs[1], mask: mask)
        }
        XCTAssertTrue(attentionReport.passed, "\(attentionReport)")
    }

    func testTheWholeUNetKeepsShapesAndIgnoresPadding() throws {
        var configuration = DiffusionUNet.Configuration()
        configuration.inputSize = 8
        configuration.channels = [8, 16]
        configuration.attentionLevels = [1]
        configuration.selfAttentionLevels = [1]
        configuration.contextSize = 6
        configuration.contextWidth = 8
        configuration.timeWidth = 16
        let network = try DiffusionUNet(configuration: configuration, scope: .initializing(seed: 14))
        var rng = SeededRNG(seed: 15)
        let x = Tensor.randomNormal([2, 1, 8, 8], using: &rng)
        let prompt = (0..<12).map { Float($0) / 12 }
        let output = withNoGrad {
            network(x, steps: [3, 900], prompts: PromptEncoder.batch([prompt, nil], dimension: 6))
        }
        XCTAssertEqual(output.shape, [2, 1, 8, 8])
        // Padding a prompt (a longer one beside it) does not change what the network makes of it.
        let alone = withNoGrad {
            network(x.sliced(axis: 0, 0..<1), steps: [3], prompts: PromptEncoder.batch([prompt], dimension: 6))
        }
        let padded = withNoGrad {
            network(
                x, steps: [3, 900], prompts: PromptEncoder.batch([prompt, prompt + prompt + prompt], dimension: 6))
        }
        assertClose(Array(padded.scalars[0..<64]), alone.scalars, accuracy: 1e-4)
    }

    func testWeightAverageFollowsItsWarmedUpDecay() throws {
        let scope = WeightScope.initializing(seed: 16)
        let parameter = try scope.parameter("w", shape: [2], initializer: .zeros)
        let average = try WeightAverage(parameters: scope.store.namedParameters, scope: scope.scope("ema"), decay: 0.9)
        var expected: [Float] = [0, 0]
        for step in 0..<30 {
            parameter.withUnsafeMutableBufferPointer { $0[0] = Float(step); $0[1] = -2 }
            average.update()
            let rate = min(Float(0.9), Float(1 + step) / Float(10 + step))
            expected = [rate * expected[0] + (1 - rate) * Float(step), rate * expected[1] + (1 - rate) * -2]
        }
        assertClose(average.averagedTensors["w"]?.scalars ?? [], expected, accuracy: 1e-4)
        XCTAssertEqual(scope.store.names, ["w", "ema.w", "ema.updates"], "checkpoints hold the averages")
    }

    func testPhrasingsNameDigitsBothWaysAndKeepHeldOutOnesApart() {
        let sevens = PromptPhrasings.prompts(for: "7")
        XCTAssertTrue(sevens.contains("a handwritten 7"))
        XCTAssertTrue(sevens.contains("the digit seven"))
        XCTAssertTrue(PromptPhrasings.prompts(for: "8").contains("an eight written by hand"))
        XCTAssertTrue(PromptPhrasings.prompts(for: "1").contains("a one written by hand"))
        XCTAssertEqual(PromptPhrasings.names(of: "cat"), ["cat"])
        let training = Set(PromptPhrasings.training.map { PromptPhrasings.fill($0, with: "x") })
        XCTAssertTrue(PromptPhrasings.heldOut.allSatisfy { !training.contains(PromptPhrasings.fill($0, with: "x")) })
    }

    func testMemorisationLinesArePooledAndPerClass() {
        // 200 real images per class: the 1st percentile is the second nearest, 1.0 apart for "1" and "7".
        let real =
            (1...200).map { (label: "1", distance: Float($0) * 0.01) }
            + (1...200).map { (label: "7", distance: 1 + Float($0) * 0.01) }
        let samples: [(label: String, distance: Float)] = [
            ("1", 0.015), ("1", 0.5),  // under the pooled line (0.04) and its own (0.02); above both
            ("7", 0.03), ("7", 1.019), ("7", 1.5),  // under the pooled line only; under its own (1.02) only; neither
        ]
        let report = DiffusionEvaluation.memorisation(samples: samples, real: real)
        XCTAssertEqual(report.realImages, 400)
        XCTAssertEqual(report.realFirstPercentile, 0.04, accuracy: 1e-6)
        XCTAssertEqual(report.samplesBelow, 2)
        XCTAssertEqual(report.nearestTrainingMinimum, 0.015, accuracy: 1e-6)
        XCTAssertEqual(report.nearestTrainingMedian, 0.5, accuracy: 1e-6)
        XCTAssertEqual(report.perLabel["1"]?.realFirstPercentile ?? 0, 0.02, accuracy: 1e-6)
        XCTAssertEqual(report.perLabel["1"]?.samplesBelow, 1)
        XCTAssertEqual(report.perLabel["7"]?.realFirstPercentile ?? 0, 1.02, accuracy: 1e-6)
        XCTAssertEqual(report.perLabel["7"]?.samplesBelow, 2)
        XCTAssertEqual(report.perLabel["7"]?.below.map { Float($0) } ?? [], [0.03, 1.019])
    }

    func testTrainingLowersTheLossAndTheFolderDrawsTheSameImagesTwice() async throws {
        let images = try makeTemporaryFolder(self)
        try writeBarDataset(in: images, perClass: 32)
        var data = LabelledData()
        data.paths = [images.path]
        var settings = DiffusionSettings()
        settings.channels = [8, 16]
        var options = DiffusionTraining.defaultOptions
        options.epochs = 6
        options.batchSize = 8
        options.validationFraction = 0.2
        options.seed = 3
        let folder = try makeTemporaryFolder(self).appendingPathComponent("diffusion").path
        let record = try await TrainingRun.start(
            .diffusion(settings), data: data, options: options, folder: folder,
            environment: TrainingRun.Environment(threads: 2, decodeJobs: 2, quiet: true, log: nil))
        let losses = record.history.map { $0.training["loss"] ?? .nan }
        XCTAssertLessThan(losses.last ?? .nan, 0.8 * (losses.first ?? .nan), "\(losses)")

        let model = try TextToImageModel(
            folder: ModelFolder(name: folder, storage: .directory(URL(fileURLWithPath: folder, isDirectory: true))))
        XCTAssertEqual(model.labels, ["h", "v"])
        var sampling = SamplingOptions()
        sampling.steps = 5
        sampling.seed = 2
        let tokens = try model.encode(prompt: "a handwritten h")
        let drawn = model.generate([(tokens, 0), (tokens, 1)], options: sampling, snapshots: 3)
        XCTAssertEqual(drawn.map { [$0.image.width, $0.image.height, $0.trace.count] }, [[28, 28, 3], [28, 28, 3]])
        XCTAssertEqual(model.generate([(tokens, 1)], options: sampling)[0].image, drawn[1].image, "bit for bit")
        XCTAssertNotEqual(drawn[0].image, drawn[1].image)
        XCTAssertThrowsError(try model.encode(prompt: "  ?! ")) { error in
            XCTAssertTrue("\(error)".contains("no letters or digits"), "\(error)")
        }
    }

    func testAModelThatIsNotADiffusionOneIsRefused() throws {
        let folder = try makeTemporaryFolder(self)
        try Data(#"{"architecture": "vae"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try TextToImageModel(folder: ModelFolder(name: "x", storage: .directory(folder)))) { error in
            XCTAssertTrue("\(error)".contains("not a text-to-image diffusion model"), "\(error)")
        }
        var configuration = DiffusionConfiguration()
        configuration.prompt.encoder = "clip"
        XCTAssertThrowsError(try PromptEncoder(configuration: configuration.prompt, model: "x")) { error in
            XCTAssertTrue("\(error)".contains("encoded by 'clip'"), "\(error)")
        }
        // A MiniLM model whose width is not MiniLM's (or, on a clone without MiniLM, MiniLM missing).
        configuration.prompt.encoder = "minilm"
        XCTAssertThrowsError(try PromptEncoder(configuration: configuration.prompt, model: "x")) { error in
            XCTAssertTrue("\(error)".contains("512-wide MiniLM") || "\(error)".contains("fetch minilm"), "\(error)")
        }
    }
}

/// Element by element, within `accuracy`.
private func assertClose(
    _ actual: [Float], _ expected: [Float], accuracy: Float, _ message: String = "", file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
    for (index, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > accuracy {
        XCTFail("\(message): element \(index) is \(a), expected \(e)", file: file, line: line)
        return
    }
}

/// Braid's U-Net against its PyTorch twin (scripts/torch_diffusion.py, written from the architecture's description):
/// the twin's seeded weights, loaded as a model folder, and its output for the same inputs.
final class DiffusionTwinTests: XCTestCase {
    private struct Reference: Decodable {
        let x: [Float]
        let steps: [Int]
        let tokens: [Float]
        let lengths: [Int]
        let output: [Float]
    }

    func testTheForwardPassMatchesThePyTorchTwin() throws {
        let folder = URL(fileURLWithPath: Fixtures.path("reference/diffusion/tiny"), isDirectory: true)
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        let model = try TextToImageModel(folder: ModelFolder(name: "tiny", storage: .directory(folder)))
        let count = reference.steps.count
        let side = model.side
        let prompts = DiffusionUNet.Prompts(
            tokens: Tensor(reference.tokens, shape: [count, reference.tokens.count / count / 6, 6]),
            lengths: reference.lengths)
        let output = withNoGrad {
            model.network(Tensor(reference.x, shape: [count, 1, side, side]), steps: reference.steps, prompts: prompts)
        }
        XCTAssertEqual(output.shape, [count, 1, side, side])
        let worst = zip(output.scalars, reference.output).map { abs($0 - $1) }.max() ?? .infinity
        let scale = reference.output.map(abs).max() ?? 1
        XCTAssertLessThan(worst, 1e-4 * max(1, scale), "largest difference from the twin")
    }
}
