import BraidTensor
import Foundation

/// The generative architectures Braid builds, by their `config.json` name.
public enum GenerativeArchitecture: String, Codable, Sendable, CaseIterable {
    /// ``DenseAutoencoder``: `braid train ae`, and `dae` with a corruption.
    case autoencoder
    /// ``VariationalAutoencoder``.
    case vae
    /// ``VQVAE``, with its ``CodePrior`` in `prior/` once one is trained.
    case vqvae
}

/// A generative model's `config.json`.
///
/// ```json
/// {"architecture": "vae", "modality": "image", "front_end": {"size": 28, "box": 20},
///  "network": {"input_size": 784, "hidden_size": 256, "latent_size": 16, "beta": 1}}
/// ```
struct GenerativeConfiguration<Network: Codable & Sendable>: Codable, Sendable {
    var architecture: GenerativeArchitecture
    var modality = Modality.image
    var frontEnd: DigitImageFrontEnd
    var network: Network
    /// The noise a denoising autoencoder was trained to remove.
    var corruption: Corruption?

    enum CodingKeys: String, CodingKey {
        case architecture, modality
        case frontEnd = "front_end"
        case network, corruption
    }
}

/// The choices of `braid train ae|dae|vae|vqvae` beyond the training loop's own.
public struct GenerativeSettings: Sendable, Equatable {
    public var architecture: GenerativeArchitecture
    /// Makes the autoencoder a denoising one.
    public var corruption: Corruption?
    /// The VAE's KL weight.
    public var beta: Float?
    /// The VQ-VAE's codebook by moving averages with this decay.
    public var emaDecay: Float?
    /// The VQ-VAE's unused codes restarted every this many steps.
    public var restartInterval: Int?
    /// The VQ-VAE's codes set from the first batch's encoder outputs.
    public var initializesCodesFromData = false

    public init(architecture: GenerativeArchitecture) {
        self.architecture = architecture
    }
}

/// A generative network of any architecture with what surrounds it: the canvas its images are drawn on, the noise
/// it removes, the prior it samples from. What training, `eval`, `reconstruct`, `sample` and `embed` share.
struct GenerativeNetwork: Sendable {
    enum Body: Sendable {
        case autoencoder(DenseAutoencoder)
        case vae(VariationalAutoencoder)
        case vqvae(VQVAE)
    }

    let body: Body
    let canvas: DigitCanvas
    let corruption: Corruption?
    /// The VQ-VAE's learned prior, when its folder has one.
    let prior: CodePrior?
    /// The VQ-VAE's codebook options, when they are on and the network trains.
    let codebookMaintenance: CodebookMaintenance?

    /// The name errors give for the front end's failures.
    static let encoderName = "generative"

    /// A fresh network as `settings` describe it, its weights drawn through `scope`.
    init(settings: GenerativeSettings, scope: WeightScope) throws {
        let corruption = settings.corruption
        switch settings.architecture {
        case .autoencoder:
            try self.init(body: .autoencoder(DenseAutoencoder(configuration: .init(), scope: scope)), corruption: corruption, scope: scope)
        case .vae:
            var configuration = VariationalAutoencoder.Configuration()
            configuration.beta = settings.beta ?? configuration.beta
            try self.init(body: .vae(VariationalAutoencoder(configuration: configuration, scope: scope)), corruption: corruption, scope: scope)
        case .vqvae:
            var configuration = VQVAE.Configuration()
            configuration.codebook = .init(
                emaDecay: settings.emaDecay, restartInterval: settings.restartInterval,
                initializesFromData: settings.initializesCodesFromData)
            try self.init(body: .vqvae(VQVAE(configuration: configuration, scope: scope)), corruption: corruption, scope: scope)
        }
    }

    private init(
        body: Body, corruption: Corruption?, scope: WeightScope, canvas: DigitCanvas = DigitCanvas(),
        prior: CodePrior? = nil
    ) throws {
        self.body = body
        self.canvas = canvas
        self.corruption = corruption
        self.prior = prior
        if case .vqvae(let network) = body,
            network.configuration.codebook.isActive
        {
            codebookMaintenance = try CodebookMaintenance(
                settings: network.configuration.codebook, quantizer: network.quantizer, scope: scope.scope("quantizer"))
        } else {
            codebookMaintenance = nil
        }
    }

    /// Reads `config.json` from `folder` and builds the network it describes on `scope` (the folder's weights, or
    /// fresh ones a checkpoint will replace); with `prior`, also the VQ-VAE's prior from `prior/`.
    /// - Throws: `ModelError` naming `config.json` when it does not describe a generative model Braid builds.
    static func load(from folder: ModelFolder, scope: WeightScope, prior loadsPrior: Bool) throws -> GenerativeNetwork {
        struct Header: Decodable { let architecture: String? }
        let file = "config.json"
        let name = try folder.json(Header.self, from: file).architecture ?? "none"
        guard let architecture = GenerativeArchitecture(rawValue: name) else {
            let known = GenerativeArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
            throw ModelError(
                folder.path(of: file),
                .unsupported("a '\(name)' model, not a generative one (known: \(known))"))
        }
        func configuration<Network>(_: Network.Type) throws -> GenerativeConfiguration<Network> {
            try folder.json(GenerativeConfiguration<Network>.self, from: file)
        }
        switch architecture {
        case .autoencoder:
            let configuration = try configuration(DenseAutoencoder.Configuration.self)
            return try GenerativeNetwork(
                body: .autoencoder(DenseAutoencoder(configuration: configuration.network, scope: scope)),
                corruption: configuration.corruption, scope: scope,
                canvas: DigitCanvas(frontEnd: configuration.frontEnd))
        case .vae:
            let configuration = try configuration(VariationalAutoencoder.Configuration.self)
            return try GenerativeNetwork(
                body: .vae(VariationalAutoencoder(configuration: configuration.network, scope: scope)),
                corruption: configuration.corruption, scope: scope,
                canvas: DigitCanvas(frontEnd: configuration.frontEnd))
        case .vqvae:
            let configuration = try configuration(VQVAE.Configuration.self)
            let prior = try loadsPrior ? folder.subfolder("prior").map(CodePrior.init(folder:)) : nil
            return try GenerativeNetwork(
                body: .vqvae(VQVAE(configuration: configuration.network, scope: scope)),
                corruption: configuration.corruption, scope: scope,
                canvas: DigitCanvas(frontEnd: configuration.frontEnd), prior: prior)
        }
    }

    var architecture: GenerativeArchitecture {
        switch body {
        case .autoencoder: .autoencoder
        case .vae: .vae
        case .vqvae: .vqvae
        }
    }

    /// The `config.json` of this network.
    var configuration: any Encodable & Sendable {
        switch body {
        case .autoencoder(let network):
            GenerativeConfiguration(
                architecture: .autoencoder, frontEnd: canvas.frontEnd, network: network.configuration,
                corruption: corruption)
        case .vae(let network):
            GenerativeConfiguration(
                architecture: .vae, frontEnd: canvas.frontEnd, network: network.configuration, corruption: corruption)
        case .vqvae(let network):
            GenerativeConfiguration(
                architecture: .vqvae, frontEnd: canvas.frontEnd, network: network.configuration,
                corruption: corruption)
        }
    }

    /// The network's input for a batch of canvases: (B, P) for the dense networks, (B, 1, S, S) for the VQ-VAE.
    func inputs(_ pixels: [Float], count: Int) -> Tensor {
        let side = canvas.side
        switch body {
        case .autoencoder, .vae: return Tensor(pixels, shape: [count, side * side])
        case .vqvae: return Tensor(pixels, shape: [count, 1, side, side])
        }
    }

    /// The width of ``embed(_:)``'s vectors.
    var embeddingSize: Int {
        switch body {
        case .autoencoder(let network): network.configuration.codeSize
        case .vae(let network): network.configuration.latentSize
        case .vqvae(let network): network.configuration.codeSize * network.gridSide * network.gridSide
        }
    }

    /// The encoder's summary of each input: the AE's code, the VAE's posterior mean µ, the VQ-VAE's quantised grid
    /// (flattened position by position, D values each). (B, ``embeddingSize``).
    func embed(_ inputs: Tensor) -> Tensor {
        withNoGrad {
            switch body {
            case .autoencoder(let network): return network.encode(inputs)
            case .vae(let network): return network.encode(inputs).mean
            case .vqvae(let network):
                let quantized = network.quantizer.vectors(of: network.quantize(network.encode(inputs)).codes)
                // (B·G·G, D) -> (B, G·G·D)
                return quantized.reshaped([inputs.shape[0], -1])
            }
        }
    }

    /// The reconstruction of each input, pixels in [0, 1], (B, P); the VAE decodes its posterior mean.
    func reconstruct(_ inputs: Tensor) -> Tensor {
        withNoGrad {
            let count = inputs.shape[0]
            switch body {
            case .autoencoder(let network): return network.decode(network.encode(inputs))
            case .vae(let network): return network.decode(network.encode(inputs).mean)
            case .vqvae(let network):
                return network.decodeLogits(network.quantize(network.encode(inputs)).quantized).sigmoid()
                    .reshaped([count, -1])
            }
        }
    }
}
