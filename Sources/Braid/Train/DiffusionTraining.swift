import BraidTensor
import Foundation

/// The choices of `braid train diffusion` beyond the training loop's own.
public struct DiffusionSettings: Sendable, Equatable {
    public var schedule = NoiseSchedule.Kind.cosine
    /// Predict v instead of ε.
    public var predictsV = false
    public var promptDropout = DiffusionConfiguration().promptDropout
    public var averageDecay = DiffusionConfiguration().averageDecay
    /// C_i of the U-Net's levels.
    public var channels = DiffusionUNet.Configuration().channels
    /// What reads the prompts: `hashed` or `minilm`.
    public var textEncoder = "hashed"

    public init() {}
}

/// Trains a text-to-image diffusion model on labelled images (Ho et al., 2020, algorithm 1): each example gets a step
/// t drawn uniformly, noise ε, the noisy image x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε from the closed form, and a caption drawn
/// from many phrasings of its label (none, for a share of them); the network learns to predict ε (or v) by squared
/// error. After each step a moving average of the weights is updated; it is what the model file holds.
public final class DiffusionTraining: TrainingTask {
    public struct Batch: Sendable {
        let noisy: Tensor
        let steps: [Int]
        let prompts: DiffusionUNet.Prompts
        /// ε or v, the shape of `noisy`.
        let targets: Tensor
    }

    let model: DiffusionConfiguration
    let network: DiffusionUNet
    let schedule: NoiseSchedule
    let average: WeightAverage
    /// Every phrasing's tokens, per label index.
    let captions: [[[Float]]]
    let augmentation: ImageAugmentation
    public let store: ParameterStore

    public let selection = (metric: "loss", higherIsBetter: false)

    /// A fresh model for images labelled `labels`, as `settings` describe it.
    public convenience init(settings: DiffusionSettings, labels: [String], options: TrainingOptions) throws {
        var model = DiffusionConfiguration()
        model.schedule = settings.schedule
        model.prediction = settings.predictsV ? .v : .epsilon
        model.promptDropout = settings.promptDropout
        model.averageDecay = settings.averageDecay
        model.network.channels = settings.channels
        if settings.textEncoder == "minilm" {
            // MiniLM's width; its word pieces and [CLS], [SEP] take more tokens than words.
            model.prompt = PromptEncoder.Configuration(encoder: "minilm", dimension: 384, maxWords: 16)
        }
        model.network.contextSize = model.prompt.dimension
        model.labels = labels
        try self.init(model: model, options: options)
    }

    /// The model `folder`'s `config.json` describes, its weights drawn from the seed until a checkpoint replaces
    /// them (resuming a run).
    convenience init(folder: ModelFolder, options: TrainingOptions) throws {
        try self.init(model: try TextToImageModel.configuration(in: folder), options: options)
    }

    private init(model: DiffusionConfiguration, options: TrainingOptions) throws {
        self.model = model
        let scope = WeightScope.initializing(seed: options.seed)
        network = try DiffusionUNet(configuration: model.network, scope: scope)
        average = try WeightAverage(
            parameters: scope.store.namedParameters, scope: scope.scope("ema"), decay: model.averageDecay)
        store = scope.store
        schedule = NoiseSchedule(kind: model.schedule, steps: model.timesteps)
        let encoder = try PromptEncoder(configuration: model.prompt, model: "diffusion")
        captions = try model.labels.map { label in try PromptPhrasings.prompts(for: label).map(encoder.tokens(of:)) }
        augmentation = options.augmentation.image
    }

    public var configuration: any Encodable & Sendable { model }

    /// The canvas of each decoded image.
    public var frontEnd: ExampleSet.FrontEnd { DigitCanvas(frontEnd: model.frontEnd).exampleFrontEnd }

    public func batch(_ examples: [Example], augment: Bool, seed: UInt64) throws -> Batch {
        let side = model.frontEnd.size
        let pixels = side * side
        var (noisy, targets, steps, prompts) = ([Float](), [Float](), [Int](), [[Float]?]())
        noisy.reserveCapacity(examples.count * pixels)
        targets.reserveCapacity(examples.count * pixels)
        for (index, example) in examples.enumerated() {
            var rng = SeededRNG(seed: SeededRNG.derivedSeed(seed, UInt64(index)))
            var digit = example.values
            if augment { augmentation.apply(to: &digit, side: side, rng: &rng) }
            let t = Int(rng.next() % UInt64(schedule.steps))
            let (signal, noise) = schedule.marginal(at: t)
            let epsilons = rng.normals(pixels)
            for pixel in 0..<pixels {
                let start = digit[pixel] * 2 - 1
                let epsilon = epsilons[pixel]
                noisy.append(signal * start + noise * epsilon)
                targets.append(model.prediction == .v ? signal * epsilon - noise * start : epsilon)
            }
            steps.append(t)
            let phrasings = captions[example.label]
            prompts.append(
                rng.nextUniform() < model.promptDropout ? nil : phrasings[Int(rng.next() % UInt64(phrasings.count))])
        }
        let shape = [examples.count, 1, side, side]
        return Batch(
            noisy: Tensor(noisy, shape: shape), steps: steps,
            prompts: PromptEncoder.batch(prompts, dimension: model.prompt.dimension),
            targets: Tensor(targets, shape: shape))
    }

    public func loss(_ batch: Batch, training: Bool, rng: inout SeededRNG) -> (loss: Tensor, metrics: Metrics) {
        let prediction = network(batch.noisy, steps: batch.steps, prompts: batch.prompts)
        let loss = Tensor.meanSquaredError(prediction, batch.targets)
        let count = batch.steps.count
        return (loss, Metrics(sums: ["loss": Double(loss.item) * Double(count)], count: count))
    }

    public func afterStep() { average.update() }

    /// The averaged weights, under the network's own names: the model samples with them.
    public var modelTensors: [String: Tensor] { average.averagedTensors }
}

extension DiffusionTraining {
    /// The loop's settings for a diffusion model unless flags say otherwise: AdamW without weight decay at 2e-3
    /// with warm-up and cosine decay, and each training digit turned, sheared, scaled and moved a little. Trained
    /// without that, 2 of 1,000 samples (both 1s) lay nearer a training digit than 99% of real test digits do;
    /// distortions are one of the remedies for copying that Somepalli et al. ("Understanding and Mitigating
    /// Copying in Diffusion Models", 2023) measured. They stay small: each digit keeps its centre within a pixel of
    /// where MNIST centres it, and there is no elastic wobble, noise or erasing, which the samples would learn.
    public static var defaultOptions: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = 10
        options.learningRate = 2e-3
        options.weightDecay = 0
        options.warmupEpochs = 0.25
        options.augmentation.image.rotationDegrees = 8
        options.augmentation.image.scale = [0.92, 1.08]
        options.augmentation.image.shearDegrees = 6
        options.augmentation.image.translation = 1
        options.augmentation.image.elasticProbability = 0
        options.augmentation.image.noiseProbability = 0
        options.augmentation.image.erasingProbability = 0
        options.clipNorm = 1
        return options
    }
}
