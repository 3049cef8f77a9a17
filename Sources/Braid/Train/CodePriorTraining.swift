import BraidTensor
import Foundation

/// Trains a VQ-VAE's ``CodePrior``: each training image is encoded to its code grid by the (fixed) VQ-VAE as the data
/// is read, and the prior learns to predict every code from those before it, by cross-entropy; the validation loss
/// (nats per code) picks the best epoch.
public final class CodePriorTraining: TrainingTask {
    public struct Batch: Sendable {
        /// Each grid's codes but the last: what the prior reads after its start token.
        let prefixes: [[Int]]
        let starts: [Int]
        /// Every grid's codes, (B·G·G): what each position predicts.
        let targets: [Int]
    }

    let prior: CodePrior
    /// The VQ-VAE whose codes the prior writes.
    let vqvae: VQVAE
    let canvas: DigitCanvas
    public let store: ParameterStore

    public let selection = (metric: "loss", higherIsBetter: false)

    /// A fresh prior for the VQ-VAE in `vqvae`, conditioned on `labels` unless they are empty.
    public init(vqvae folder: ModelFolder, labels: [String], options: TrainingOptions) throws {
        (vqvae, canvas) = try Self.vqvae(in: folder)
        var configuration = CodePrior.Configuration()
        configuration.codebookSize = vqvae.configuration.codebookSize
        configuration.length = vqvae.gridSide * vqvae.gridSide
        configuration.labels = labels
        let scope = WeightScope.initializing(seed: options.seed)
        prior = try CodePrior(configuration: configuration, scope: scope)
        store = scope.store
    }

    /// The prior `folder`'s `config.json` describes, for the VQ-VAE in `vqvae`, its weights drawn from the seed until
    /// a checkpoint replaces them (resuming a run).
    init(folder: ModelFolder, vqvae vqvaeFolder: ModelFolder, options: TrainingOptions) throws {
        (vqvae, canvas) = try Self.vqvae(in: vqvaeFolder)
        let scope = WeightScope.initializing(seed: options.seed)
        prior = try CodePrior(
            configuration: try folder.json(CodePrior.File.self, from: "config.json").network, scope: scope)
        store = scope.store
    }

    private static func vqvae(in folder: ModelFolder) throws -> (VQVAE, DigitCanvas) {
        let network = try GenerativeNetwork.load(from: folder, scope: .loading(try folder.weights()), prior: false)
        guard case .vqvae(let vqvae) = network.body else {
            throw ModelError(
                folder.path(of: "config.json"),
                .unsupported("a '\(network.architecture.rawValue)' model: a code prior is trained for a VQ-VAE"))
        }
        return (vqvae, network.canvas)
    }

    public var configuration: any Encodable & Sendable { CodePrior.File(network: prior.configuration) }

    /// Each image's code grid, as the VQ-VAE assigns it.
    public var frontEnd: ExampleSet.FrontEnd {
        let (vqvae, canvas) = (vqvae, canvas)
        return ExampleSet.decoding { media, _ in
            let pixels = try canvas.pixels(of: media, encoder: GenerativeNetwork.encoderName)
            let side = canvas.side
            return withNoGrad {
                vqvae.quantize(vqvae.encode(Tensor(pixels, shape: [1, 1, side, side]))).codes.map(Float.init)
            }
        }
    }

    public func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch {
        let grids = examples.map { $0.values.map { Int($0) } }
        return Batch(
            prefixes: grids.map { Array($0.dropLast()) },
            starts: examples.map { prior.startToken(label: $0.label) }, targets: grids.flatMap { $0 })
    }

    public func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics) {
        let codes = prior.configuration.codebookSize
        // (B, T, K) -> (B·T, K)
        let logits = prior.logits(prefixes: batch.prefixes, starts: batch.starts).reshaped([-1, codes])
        let loss = Tensor.crossEntropy(logits: logits, targets: batch.targets)
        let correct = zip(logits.argmax(axis: 1), batch.targets).filter { $0 == $1 }.count
        let (grids, length) = (batch.starts.count, Double(batch.targets.count / batch.starts.count))
        return (
            loss,
            Metrics(
                sums: ["loss": Double(loss.item) * Double(grids), "accuracy": Double(correct) / length],
                count: grids)
        )
    }
}

extension CodePriorTraining {
    /// The loop's settings for a prior unless flags say otherwise: AdamW with weight decay 0.01, 16 epochs, and a
    /// peak rate of 4e-3, picked on the validation split (after 2 epochs of MNIST's grids, 2.05 nats per code against
    /// 2.14 at 1e-3).
    public static var defaultOptions: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = 16
        options.learningRate = 4e-3
        options.weightDecay = 0.01
        options.augment = false
        return options
    }
}
