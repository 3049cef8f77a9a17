import BraidTensor
import Foundation

/// Trains an autoencoder, a denoising autoencoder, a VAE or a VQ-VAE on images, each with its own objective:
///
/// - autoencoder: binary cross-entropy between the input and its reconstruction, mean per pixel (the denoising
///   autoencoder sees a corrupted input and is scored against the clean one);
/// - VAE: the negative evidence lower bound, BCE summed over pixels plus β·KL, mean per image;
/// - VQ-VAE: the reconstruction's squared error, mean per pixel, plus the codebook and β-weighted commitment losses.
///
/// The validation loss picks the best epoch. Labels, when the data has them, are not used.
public final class GenerativeTraining: TrainingTask {
    public struct Batch: Sendable {
        /// What the network reads: the images, corrupted for a denoising autoencoder; (B, P) or (B, 1, S, S).
        let inputs: Tensor
        /// The clean images, the shape of `inputs`.
        let targets: Tensor
    }

    let network: GenerativeNetwork
    public let store: ParameterStore
    let augmentation: ImageAugmentation

    public let selection = (metric: "loss", higherIsBetter: false)

    /// A fresh network as `settings` describe it, its weights drawn from the options' seed.
    public init(settings: GenerativeSettings, options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        network = try GenerativeNetwork(settings: settings, scope: scope)
        store = scope.store
        augmentation = options.augmentation.image
    }

    /// The network `folder`'s `config.json` describes, its weights drawn from the seed until a checkpoint replaces
    /// them (resuming a run).
    init(folder: ModelFolder, options: TrainingOptions) throws {
        let scope = WeightScope.initializing(seed: options.seed)
        network = try GenerativeNetwork.load(from: folder, scope: scope, prior: false)
        store = scope.store
        augmentation = options.augmentation.image
    }

    /// The `config.json` of the model this task trains.
    public var configuration: any Encodable & Sendable { network.configuration }

    /// The canvas of each decoded image.
    public var frontEnd: ExampleSet.FrontEnd { network.canvas.exampleFrontEnd }

    public func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch {
        let side = network.canvas.side
        var (inputs, targets): ([Float], [Float]) = ([], [])
        inputs.reserveCapacity(examples.count * side * side)
        targets.reserveCapacity(examples.count * side * side)
        for (index, example) in examples.enumerated() {
            var rng = SeededRNG(seed: SeededRNG.derivedSeed(seed, UInt64(index)))
            var clean = example.values
            if augment { augmentation.apply(to: &clean, side: side, rng: &rng) }
            targets += clean
            // Validation batches are corrupted too, from their fixed seeds: the figure is the denoising one.
            inputs += network.corruption?.apply(to: clean, rng: &rng) ?? clean
        }
        return Batch(
            inputs: network.inputs(inputs, count: examples.count), targets: network.inputs(targets, count: examples.count))
    }

    public func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics) {
        let count = batch.inputs.shape[0]
        var sums: [String: Double] = [:]
        let loss: Tensor
        switch network.body {
        case .autoencoder(let autoencoder):
            let logits = autoencoder.decodeLogits(autoencoder.encode(batch.inputs))
            loss = Tensor.binaryCrossEntropyWithLogits(logits: logits, targets: batch.targets)
            // The squared error (and PSNR) on validation batches only: on a network this small they cost a tenth of
            // a training step.
            if !training {
                let differences = logits.sigmoid() - batch.targets
                let errors = GenerativeNetwork.perImageMean(differences * differences)
                sums["mse"] = errors.reduce(0, +)
                if network.corruption != nil { sums["psnr"] = errors.map(GenerativeNetwork.psnr).reduce(0, +) }
            }
        case .vae(let vae):
            let (mean, logVariance) = vae.encode(batch.inputs)
            let noise = Tensor.randomNormal(mean.shape, using: &rng)
            let latents = VariationalAutoencoder.reparameterise(mean: mean, logVariance: logVariance, noise: noise)
            let logits = vae.decodeLogits(latents)
            // The mean over all B·P elements times P: BCE summed over pixels, mean per image.
            let reconstruction =
                Tensor.binaryCrossEntropyWithLogits(logits: logits, targets: batch.targets)
                * Float(batch.targets.count / count)
            let divergence = VariationalAutoencoder.klDivergence(mean: mean, logVariance: logVariance) / Float(count)
            loss = reconstruction + divergence * vae.configuration.beta
            sums["bce"] = Double(reconstruction.item) * Double(count)
            sums["kl"] = Double(divergence.item) * Double(count)
        case .vqvae(let vqvae):
            let z = vqvae.encode(batch.inputs)
            let quantized = vqvae.quantize(z)
            let images = vqvae.decodeLogits(quantized.quantized).sigmoid()
            let reconstruction = Tensor.meanSquaredError(images, batch.targets)
            loss =
                reconstruction + quantized.codebookLoss + quantized.commitmentLoss * vqvae.configuration.commitment
            sums["mse"] = Double(reconstruction.item) * Double(count)
            if training, let maintenance = network.codebookMaintenance {
                // The rows the codes belong to.
                maintenance.observe(vectors: vqvae.layout.pixelRows(z.detached()), codes: quantized.codes)
            }
        }
        sums["loss"] = Double(loss.item) * Double(count)
        return (loss, Metrics(sums: sums, count: count))
    }

    public func afterStep() { network.codebookMaintenance?.afterStep() }
}

extension GenerativeTraining {
    /// The loop's settings for these models unless flags say otherwise: Adam without weight decay on the examples
    /// as they are, warm-up and cosine decay as every model. The peak rate is above the usual constant 1e-3, as the
    /// cosine decay spends most steps far below its peak: on the validation split after 10 epochs, the AE's squared
    /// error fell from 0.0096 at 1e-3 to 0.0069 at 3e-3 and 0.0058 at 1e-2, the VAE's −ELBO from 111.6 to 107.2
    /// and 105.0; the VQ-VAE's, after 3 epochs, from 0.0055 to 0.0038 at 3e-3.
    public static func defaultOptions(for architecture: GenerativeArchitecture) -> TrainingOptions {
        var options = TrainingOptions()
        options.learningRate = architecture == .vqvae ? 3e-3 : 1e-2
        options.weightDecay = 0
        options.warmupEpochs = 0.5
        options.augment = false
        return options
    }
}
