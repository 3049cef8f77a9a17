import BraidTensor
import Foundation

/// A text-to-image diffusion model's `config.json`.
///
/// ```json
/// {"architecture": "diffusion", "modality": "image", "front_end": {"size": 28, "box": 20},
///  "network": {"channels": [24, 48, 64], …}, "prompt": {"encoder": "hashed", "dimension": 512, "max_words": 12},
///  "schedule": "cosine", "timesteps": 1000, "prediction": "epsilon", "labels": ["0", …, "9"]}
/// ```
public struct DiffusionConfiguration: Codable, Sendable, Equatable {
    public static let architectureName = "diffusion"

    var architecture = Self.architectureName
    var modality = Modality.image
    var frontEnd = DigitImageFrontEnd()
    var network = DiffusionUNet.Configuration()
    var prompt = PromptEncoder.Configuration()
    var schedule = NoiseSchedule.Kind.cosine
    var timesteps = 1000
    var prediction = DiffusionSampler.Prediction.epsilon
    /// The classes it was trained on, whose phrasings were its captions.
    var labels: [String] = []
    /// The share of training examples whose prompt was dropped, so that the same network also predicts without one,
    /// which classifier-free guidance needs (Ho & Salimans use 0.1 to 0.2).
    var promptDropout: Float = 0.1
    /// The decay of the weight average that the model file holds.
    var averageDecay: Float = 0.999

    enum CodingKeys: String, CodingKey {
        case architecture, modality
        case frontEnd = "front_end"
        case network, prompt, schedule, timesteps, prediction, labels
        case promptDropout = "prompt_dropout"
        case averageDecay = "average_decay"
    }
}

/// How `braid generate` draws: the sampler, its steps, the guidance and the seed.
public struct SamplingOptions: Sendable, Equatable {
    public enum Sampler: String, Sendable, CaseIterable { case ddim, ddpm }

    public var sampler = Sampler.ddim
    /// DDIM's η: 0 deterministic, 1 as random as DDPM.
    public var eta: Float = 0
    public var steps = 50
    /// w of classifier-free guidance; 0 is the prompted model alone.
    public var guidance: Float = 3
    public var seed: UInt64 = 0

    public init() {}

    var samplerOptions: DiffusionSampler.Options {
        DiffusionSampler.Options(
            method: sampler == .ddpm ? .ddpm : .ddim(eta: eta), steps: steps, guidance: guidance, seed: seed)
    }
}

/// A trained text-to-image diffusion model loaded from its folder: draws digits from prompts. What `braid generate`
/// and a pipeline file's `generate: {job: text-to-image}` use.
public final class TextToImageModel: Sendable {
    /// The model as it was named: a shipped name or a folder's path.
    public let name: String
    let configuration: DiffusionConfiguration
    let network: DiffusionUNet
    let prompts: PromptEncoder
    let canvas: DigitCanvas
    let schedule: NoiseSchedule

    /// Images drawn in one network batch (twice as many rows with guidance); more are drawn in turn.
    static let batchSize = 32

    /// Loads the model in `folder`.
    /// - Throws: `ModelError` or `WeightError` naming the file that is missing or does not fit, `GenerationError`
    ///   when it conditions on a text encoder this Braid lacks.
    public init(folder: ModelFolder) throws {
        name = folder.name
        configuration = try Self.configuration(in: folder)
        network = try DiffusionUNet(configuration: configuration.network, scope: .loading(try folder.weights()))
        prompts = try PromptEncoder(configuration: configuration.prompt, model: folder.name)
        canvas = DigitCanvas(frontEnd: configuration.frontEnd)
        schedule = NoiseSchedule(kind: configuration.schedule, steps: configuration.timesteps)
    }

    /// Reads `config.json` and checks that it is a diffusion model's.
    static func configuration(in folder: ModelFolder) throws -> DiffusionConfiguration {
        struct Header: Decodable { let architecture: String? }
        let file = "config.json"
        let architecture = try folder.json(Header.self, from: file).architecture ?? "none"
        guard architecture == DiffusionConfiguration.architectureName else {
            throw ModelError(
                folder.path(of: file),
                .unsupported("a '\(architecture)' model, not a text-to-image diffusion model"))
        }
        return try folder.json(DiffusionConfiguration.self, from: file)
    }

    /// The side of the images it draws.
    public var side: Int { canvas.side }
    /// The classes it was trained to draw.
    public var labels: [String] { configuration.labels }
    /// The text encoder its prompts go through.
    public var promptEncoder: String { configuration.prompt.encoder }
    /// T.
    public var timesteps: Int { configuration.timesteps }

    /// The tokens of a prompt, checked: what ``generate(prompts:options:snapshots:onStep:)`` reads.
    /// - Throws: `GenerationError` for a prompt with no letters or digits.
    public func encode(prompt: String) throws -> [Float] {
        do { return try prompts.tokens(of: prompt) } catch {
            throw GenerationError(model: name, problem: "the prompt \(jsonString(prompt)) has no letters or digits")
        }
    }

    /// Draws one image per entry of `requests`: its prompt's tokens (``encode(prompt:)``; nil for no prompt) and its
    /// index under the seed.
    /// - Parameters:
    ///   - snapshots: Intermediate images per request for a trace, from noise towards the image.
    ///   - onStep: Called after each network step of each batch.
    /// - Returns: Each request's image and its snapshots, in order.
    public func generate(
        _ requests: [(tokens: [Float]?, index: Int)], options: SamplingOptions, snapshots: Int = 0,
        onStep: (() -> Void)? = nil
    ) -> [(image: Image, trace: [Image])] {
        let sampler = DiffusionSampler(
            schedule: schedule, prediction: configuration.prediction,
            network: { [network] x, steps, prompts in network(x, steps: steps, prompts: prompts) },
            tokenWidth: configuration.prompt.dimension)
        var results: [(Image, [Image])] = []
        for start in stride(from: 0, to: requests.count, by: Self.batchSize) {
            let batch = requests[start..<min(requests.count, start + Self.batchSize)]
            let drawn = sampler.sample(
                prompts: batch.map(\.tokens), side: side, options: options.samplerOptions, indices: batch.map(\.index),
                snapshots: snapshots, onStep: onStep)
            for row in batch.indices.map({ $0 - start }) {
                results.append((image(drawn.images[row]), drawn.snapshots.map { image($0[row]) }))
            }
        }
        return results
    }

    /// The network steps ``generate(_:options:snapshots:onStep:)`` takes for `count` requests.
    public func networkSteps(requests count: Int, options: SamplingOptions) -> Int {
        (count + Self.batchSize - 1) / Self.batchSize * min(max(1, options.steps), timesteps)
    }

    /// Values in [−1, 1] as a grey image.
    private func image(_ values: [Float]) -> Image { canvas.image(values.map { ($0 + 1) / 2 }) }
}
