import BraidTensor
import Foundation
import XCTest

/// End-to-end learning, and optimizer steps against PyTorch's.
final class TrainingTests: XCTestCase {
    func testMLPLearnsXOR() throws {
        let scope = WeightScope.initializing(seed: 2024)
        let mlp = try MLP(scope: scope, widths: [2, 8, 1], activation: .tanh)
        let inputs = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
        let targets = Tensor([0, 1, 1, 0], shape: [4, 1])
        let optimizer = Adam(parameters: scope.store.parameters, learningRate: 0.05)
        var loss: Float = .infinity
        for _ in 0..<300 {
            optimizer.zeroGradients()
            let step = Tensor.binaryCrossEntropyWithLogits(logits: mlp(inputs), targets: targets)
            step.backward()
            optimizer.step()
            loss = step.item
        }
        XCTAssertLessThan(loss, 0.05, "XOR loss after 300 Adam steps")
        let predictions = withNoGrad { mlp(inputs).sigmoid() }.scalars
        XCTAssertEqual(predictions.map { $0 > 0.5 }, [false, true, true, false])
    }

    func testSmallCNNOverfitsABatch() throws {
        // 8 random 1×8×8 images, 4 classes: a conv net with enough capacity must memorise them.
        let scope = WeightScope.initializing(seed: 7)
        let conv1 = try Conv2d(scope: scope.scope("conv1"), inChannels: 1, outChannels: 8, kernel: 3, padding: 1)
        let norm = try GroupNorm(scope: scope.scope("norm"), groups: 2, channels: 8)
        let conv2 = try Conv2d(
            scope: scope.scope("conv2"), inChannels: 8, outChannels: 8, kernel: 3, stride: 2, padding: 1)
        let head = try Linear(scope: scope.scope("head"), inFeatures: 8 * 2 * 2, outFeatures: 4)
        func forward(_ images: Tensor) -> Tensor {
            let hidden = norm(conv1(images)).silu()  // (8, 8, 8, 8)
            let pooled = Tensor.maxPool2d(conv2(hidden, activation: .relu), kernel: 2)  // (8, 8, 2, 2)
            return head(pooled.reshaped([images.shape[0], -1]))  // (8, 32) -> (8, 4)
        }
        let images = randomTensor([8, 1, 8, 8], seed: 8)
        let labels = [0, 1, 2, 3, 3, 2, 1, 0]
        let optimizer = Adam.adamW(parameters: scope.store.parameters, learningRate: 0.01)
        let initial = withNoGrad { Tensor.crossEntropy(logits: forward(images), targets: labels) }.item
        var loss: Float = .infinity
        for _ in 0..<120 {
            optimizer.zeroGradients()
            let step = Tensor.crossEntropy(logits: forward(images), targets: labels)
            step.backward()
            clipGradientNorm(optimizer.parameters, maxNorm: 5)
            optimizer.step()
            loss = step.item
        }
        XCTAssertGreaterThan(initial, 1.0, "an untrained 4-way classifier starts near ln 4")
        XCTAssertLessThan(loss, 0.05, "CNN loss after 120 AdamW steps")
    }

    func testTrainingIsReproducibleBitForBit() throws {
        func run() throws -> [Float] {
            let scope = WeightScope.initializing(seed: 99)
            let mlp = try MLP(scope: scope, widths: [3, 6, 2])
            let optimizer = SGD(parameters: scope.store.parameters, learningRate: 0.1, momentum: 0.9)
            var rng = SeededRNG(seed: 5)
            let x = Tensor.randomNormal([5, 3], using: &rng)
            for _ in 0..<5 {
                optimizer.zeroGradients()
                Tensor.meanSquaredError(mlp(x).dropout(probability: 0.2, training: true, using: &rng), .zeros([5, 2]))
                    .backward()
                optimizer.step()
            }
            return scope.store.parameters.flatMap(\.scalars)
        }
        XCTAssertEqual(try run(), try run())
    }

    func testOptimizersMatchTorch() throws {
        let makers: [(String, (Tensor) -> any Optimizer)] = [
            ("sgd_momentum", { SGD(parameters: [$0], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }),
            ("sgd_nesterov", { SGD(parameters: [$0], learningRate: 0.1, momentum: 0.9, nesterov: true) }),
            ("adam", { Adam(parameters: [$0], learningRate: 0.01, weightDecay: 0.1) }),
            ("adamw", { Adam.adamW(parameters: [$0], learningRate: 0.01, weightDecay: 0.1) }),
        ]
        for (name, make) in makers {
            let reference = try Fixtures.torchCase("optim_" + name)
            let parameter = try reference.input("start")
            let optimizer = make(parameter)
            var trajectory: [Float] = []
            for step in 0..<3 {
                parameter.grad = try reference.input("gradient\(step)")
                optimizer.step()
                trajectory += parameter.scalars
            }
            assertClose(Tensor(trajectory, shape: [3, 6]), reference.output.tensor, tolerance: 1e-6, name)
        }
    }

    func testGradientClippingScalesToTheGlobalNorm() {
        let a = Tensor([0, 0], shape: [2])
        let b = Tensor([0], shape: [1])
        a.grad = Tensor([3, 0], shape: [2])
        b.grad = Tensor([4], shape: [1])
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 1), 5)
        XCTAssertEqual(a.grad?.scalars[0] ?? 0, 0.6, accuracy: 1e-6)
        XCTAssertEqual(b.grad?.scalars[0] ?? 0, 0.8, accuracy: 1e-6)
    }

    func testOptimizerStateRestoredMidwayContinuesExactly() throws {
        let makers: [(String, ([Tensor]) -> any Optimizer)] = [
            ("adamw", { Adam.adamW(parameters: $0, learningRate: 0.01, weightDecay: 0.1, decays: [true, false]) }),
            ("sgd", { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) }),
        ]
        for (name, make) in makers {
            let gradients = (0..<6).map {
                [randomTensor([3, 2], seed: UInt64(40 + $0)), randomTensor([2], seed: UInt64(50 + $0))]
            }
            func steps(_ optimizer: any Optimizer, _ range: Range<Int>) {
                for step in range {
                    for (parameter, gradient) in zip(optimizer.parameters, gradients[step]) {
                        parameter.grad = gradient
                    }
                    optimizer.step()
                }
            }
            let straight = [randomTensor([3, 2], seed: 60), randomTensor([2], seed: 61)]
            steps(make(straight), 0..<6)
            // Three steps, the state and parameters carried over to a new optimizer, three more.
            let first = [randomTensor([3, 2], seed: 60), randomTensor([2], seed: 61)]
            let interrupted = make(first)
            steps(interrupted, 0..<3)
            let second = first.map { $0.copied() }
            let resumed = make(second)
            try resumed.loadState(interrupted.state)
            steps(resumed, 3..<6)
            XCTAssertEqual(second.flatMap(\.scalars), straight.flatMap(\.scalars), name)
        }
        let optimizer = Adam(parameters: [Tensor.zeros([2])])
        XCTAssertThrowsError(try optimizer.loadState(["step": Tensor(scalar: 1)])) { error in
            XCTAssertEqual(error as? OptimizerStateError, .missing("state.0.exp_avg"))
        }
    }

    func testWarmupCosineSchedule() {
        let schedule = WarmupCosineSchedule(peak: 1, warmupSteps: 4, totalSteps: 14)
        XCTAssertEqual((0..<4).map { schedule.rate(atStep: $0) }, [0.25, 0.5, 0.75, 1])
        XCTAssertEqual(schedule.rate(atStep: 4), 1, accuracy: 1e-6)
        // Half-way through the decay (steps 4...13), the cosine is at one half.
        XCTAssertEqual(schedule.rate(atStep: 4 + 9 / 2), 0.5 * (1 + cos(Float.pi * 4 / 9)), accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(atStep: 13), 0, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(atStep: 100), 0, accuracy: 1e-6, "stays at the floor past the end")
    }

    func testDerivedSeedsAreStableAndDistinct() {
        XCTAssertEqual(SeededRNG.derivedSeed(7, 1, 2), SeededRNG.derivedSeed(7, 1, 2))
        let seeds = Set((0..<1000).map { SeededRNG.derivedSeed(7, UInt64($0)) } + [SeededRNG.derivedSeed(8, 0)])
        XCTAssertEqual(seeds.count, 1001)
        XCTAssertNotEqual(SeededRNG.derivedSeed(7, 1, 2), SeededRNG.derivedSeed(7, 2, 1), "the path's order counts")
    }
}
