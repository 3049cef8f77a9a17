import BraidTensor
import Foundation

/// A trained generative model loaded from its folder: reconstructs, denoises, samples, interpolates, scores and
/// embeds digits. What `braid reconstruct`, `denoise`, `sample`, `interpolate`, `score` and `embed` use.
public final class GenerativeModel: Sendable {
    /// The model as it was named: a shipped name or a folder's path.
    public let name: String
    let network: GenerativeNetwork

    /// Loads the model in `folder`, and a VQ-VAE's prior from `prior/` when it has one.
    /// - Throws: `ModelError` or `WeightError` naming the file that is missing or does not fit.
    public init(folder: ModelFolder) throws {
        name = folder.name
        network = try GenerativeNetwork.load(from: folder, scope: .loading(try folder.weights()), prior: true)
    }

    public var architecture: GenerativeArchitecture { network.architecture }
    /// The side of the images it reads and writes.
    public var side: Int { network.canvas.side }
    /// The noise a denoising autoencoder was trained on; nil for the others.
    public var corruption: Corruption? { network.corruption }
    /// The width of ``embed(_:)``'s vectors.
    public var embeddingSize: Int { network.embeddingSize }
    /// The labels ``sample(count:label:seed:temperature:)`` takes; empty when it takes none.
    public var sampleLabels: [String] { network.prior?.configuration.labels ?? [] }

    /// Each image on the model's canvas.
    /// - Throws: `EncodeError` for the first item that is not an image with a digit.
    func canvases(_ media: [Media]) throws -> Tensor {
        let pixels = try media.flatMap { try network.canvas.pixels(of: $0, encoder: GenerativeNetwork.encoderName) }
        return network.inputs(pixels, count: media.count)
    }

    /// The images as the model redraws them; a denoising autoencoder's redrawing is its denoising.
    /// - Parameter corrupting: Corrupt each input first with the model's noise (seeded by `seed` and its position),
    ///   to show noisy beside denoised; the corrupted inputs are returned too.
    public func reconstruct(_ media: [Media], corrupting: Bool = false, seed: UInt64 = 0) throws -> (
        outputs: [Image], inputs: [Image]
    ) {
        var inputs = try canvases(media)
        if corrupting, let corruption = network.corruption {
            let pixels = inputs.scalars
            let size = pixels.count / media.count
            let corrupted = (0..<media.count).flatMap { row in
                var rng = SeededRNG(seed: SeededRNG.derivedSeed(seed, UInt64(row)))
                return corruption.apply(to: Array(pixels[row * size..<(row + 1) * size]), rng: &rng)
            }
            inputs = network.inputs(corrupted, count: media.count)
        }
        return (images(network.reconstruct(inputs)), images(inputs))
    }

    /// Draws `count` new digits: a VAE decodes z ~ N(0, I); a VQ-VAE decodes code grids its prior writes.
    /// - Parameters:
    ///   - label: The class to draw, for a prior conditioned on labels.
    ///   - temperature: Sharpens (< 1) or flattens (> 1) the prior's distributions.
    /// - Throws: `GenerationError` when the model cannot sample, or the label is not one it knows.
    public func sample(count: Int, label: String?, seed: UInt64, temperature: Float = 1) throws -> [Image] {
        var rng = SeededRNG(seed: seed)
        switch network.body {
        case .autoencoder:
            throw GenerationError(
                model: name,
                problem: "an autoencoder has no distribution to sample from: use a VAE or a VQ-VAE with a prior")
        case .vae(let vae):
            if let label {
                throw GenerationError(model: name, problem: "a VAE draws any digit; it takes no label ('\(label)')")
            }
            let latents = Tensor.randomNormal([count, vae.configuration.latentSize], using: &rng)
            return images(withNoGrad { vae.decode(latents) })
        case .vqvae(let vqvae):
            guard let prior = network.prior else {
                throw GenerationError(
                    model: name, problem: "this VQ-VAE has no prior/: train one with 'braid train vqvae-prior'")
            }
            var index: Int?
            if let label {
                guard let found = prior.configuration.labels.firstIndex(of: label) else {
                    let problem =
                        prior.isConditioned
                        ? "label '\(label)' is not one of the prior's (\(prior.configuration.labels.joined(separator: ", ")))"
                        : "its prior was trained without labels; it takes no '--label'"
                    throw GenerationError(model: name, problem: problem)
                }
                index = found
            } else if prior.isConditioned {
                // Without a label, each grid's class is drawn uniformly.
                let grids = (0..<count).map { _ in
                    prior.sample(
                        count: 1, label: Int.random(in: 0..<prior.configuration.labels.count, using: &rng),
                        temperature: temperature, rng: &rng)[0]
                }
                return images(withNoGrad { vqvae.decode(codes: grids.flatMap { $0 }) })
            }
            let grids = prior.sample(count: count, label: index, temperature: temperature, rng: &rng)
            return images(withNoGrad { vqvae.decode(codes: grids.flatMap { $0 }) })
        }
    }

    /// The path from `start` to `end` through the latent space: `steps` images, the first and last the two
    /// reconstructions, the others decoded from evenly spaced mixtures of the two latents (the VAE's means, the
    /// VQ-VAE's grids before quantisation).
    public func interpolate(from start: Media, to end: Media, steps: Int) throws -> [Image] {
        let inputs = try canvases([start, end])
        let fractions = (0..<steps).map { Float($0) / Float(max(1, steps - 1)) }
        return withNoGrad {
            // Evenly spaced mixtures of the two rows of `ends`, (2, W) -> (steps, W).
            func mixtures(_ ends: [Float]) -> [Float] {
                let width = ends.count / 2
                return fractions.flatMap { t in (0..<width).map { (1 - t) * ends[$0] + t * ends[width + $0] } }
            }
            let width = network.embeddingSize
            switch network.body {
            case .autoencoder(let autoencoder):
                return images(autoencoder.decode(Tensor(mixtures(network.embed(inputs).scalars), shape: [steps, width])))
            case .vae(let vae):
                return images(vae.decode(Tensor(mixtures(network.embed(inputs).scalars), shape: [steps, width])))
            case .vqvae(let vqvae):
                let ends = vqvae.encode(inputs)
                let z = Tensor(mixtures(ends.scalars), shape: [steps] + ends.shape.dropFirst())
                return images(vqvae.decode(codes: vqvae.quantize(z).codes))
            }
        }
    }

    /// The encoder's vector of each image (the AE's code, the VAE's µ, the VQ-VAE's quantised grid).
    public func embed(_ media: [Media]) throws -> [[Float]] {
        let vectors = network.embed(try canvases(media)).scalars
        let width = network.embeddingSize
        return (0..<media.count).map { Array(vectors[$0 * width..<($0 + 1) * width]) }
    }

    /// Pixels (B, …) as B images.
    private func images(_ pixels: Tensor) -> [Image] {
        let values = pixels.scalars
        let size = network.canvas.pixelCount
        return (0..<pixels.shape[0]).map { network.canvas.image(values[$0 * size..<($0 + 1) * size]) }
    }
}

/// A generative command asked of a model that cannot do it.
public struct GenerationError: Error, CustomStringConvertible {
    public let model: String
    public let problem: String

    public init(model: String, problem: String) {
        self.model = model
        self.problem = problem
    }

    public var description: String { "\(model): \(problem)" }
}

extension ModelFolder {
    /// Whether `config.json` describes one of ``GenerativeArchitecture`` (else a classifier, or something else that
    /// the classifier's loader will name).
    /// - Throws: `ModelError` when `config.json` is missing or is not JSON.
    public var isGenerative: Bool {
        get throws {
            struct Header: Decodable { let architecture: String? }
            let name = try json(Header.self, from: "config.json").architecture ?? ""
            return GenerativeArchitecture(rawValue: name) != nil
        }
    }
}

extension GenerativeModel {
    /// How well the model explains each image, as `braid score` reports it (``GenerativeScores``): an autoencoder's
    /// `mse_per_pixel` and `bce_per_pixel`, a VAE's `neg_elbo`, `bce` and `kl` (nats, z drawn `draws` times), a
    /// VQ-VAE's `mse_per_pixel`. Higher error, or a higher −ELBO, marks an image the model finds unusual.
    public func scores(_ media: [Media], draws: Int = 10, seed: UInt64 = 0) throws -> [[String: Double]] {
        let inputs = try canvases(media)
        var rng = SeededRNG(seed: seed)
        let figures = network.scores(inputs: inputs, targets: inputs, draws: draws, rng: &rng).figures
        return media.indices.map { row in
            Dictionary(uniqueKeysWithValues: figures.map { name, values in (network.reportName(name), values[row]) })
        }
    }
}
