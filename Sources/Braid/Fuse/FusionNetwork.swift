import BraidTensor
import Foundation

/// The fusion architectures Braid builds, by their `config.json` name.
public enum FusionArchitecture: String, Codable, Sendable, CaseIterable {
    case early = "early-fusion"
    case late = "late-fusion"
    case cross = "cross-fusion"

    /// `early`, `late`, `cross`: how `--fuse` and `braid train` name them.
    public var shortName: String { String(rawValue.prefix { $0 != "-" }) }

    /// The shipped model of this architecture, which `--fuse early|late|cross` uses.
    public var shippedModel: String { "digits-fusion-\(shortName)" }
}

/// A fusion model's `config.json`: what it is, which encoders describe its parts, and its classes.
///
/// ```json
/// {"architecture": "cross-fusion", "encoders": {"image": "handwritten-digits", "audio": "spoken-digits"},
///  "labels": ["0", …, "9"], "network": {"width": 64, "heads": 4}}
/// ```
struct FusionConfiguration<Network: Codable & Sendable>: Codable, Sendable {
    var architecture: FusionArchitecture
    var encoders: PartEncoders.Names
    var labels: [String]
    var network: Network
}

/// A fusion stage of any architecture, with the encoders whose outputs it joins.
enum FusionNetwork: Sendable {
    case early(EarlyFusion)
    case late(LateFusion)
    case cross(CrossAttentionFusion)

    /// A network of `architecture` over `encoders`' outputs, with the settings its architecture takes (the defaults
    /// for a fresh network).
    init(
        architecture: FusionArchitecture, encoders: PartEncoders, scope: WeightScope,
        early: EarlyFusion.Configuration = .init(), late: LateFusion.Configuration = .init(),
        cross: CrossAttentionFusion.Configuration = .init()
    ) throws {
        let (image, audio, classes) = (encoders.image, encoders.audio, encoders.labels.count)
        switch architecture {
        case .early:
            self = .early(
                try EarlyFusion(
                    configuration: early, imageWidth: image.embeddingSize, audioWidth: audio.embeddingSize,
                    classes: classes, scope: scope))
        case .late:
            self = .late(
                try LateFusion(
                    configuration: late, imageSize: Shape.count(image.tokenShape) + image.embeddingSize,
                    audioSize: Shape.count(audio.tokenShape) + audio.embeddingSize,
                    classes: classes, scope: scope))
        case .cross:
            self = .cross(
                try CrossAttentionFusion(
                    configuration: cross, imageTokens: image.tokenShape, audioTokens: audio.tokenShape,
                    imageWidth: image.embeddingSize, audioWidth: audio.embeddingSize, classes: classes, scope: scope))
        }
    }

    /// Reads `config.json` from `folder`, loads the encoders it names and builds the network on `scope`.
    /// - Throws: `ModelError` naming `config.json` when it does not describe a fusion model.
    static func load(from folder: ModelFolder, scope: WeightScope, modelsDirectory: URL? = nil) throws -> (
        network: FusionNetwork, encoders: PartEncoders
    ) {
        struct Header: Decodable {
            let architecture: String
            let encoders: PartEncoders.Names
        }
        let file = "config.json"
        let header = try folder.json(Header.self, from: file)
        guard let architecture = FusionArchitecture(rawValue: header.architecture) else {
            let known = FusionArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
            throw ModelError(
                folder.path(of: file), .unsupported("'\(header.architecture)' is not a fusion model (known: \(known))"))
        }
        let encoders = try PartEncoders(header.encoders, modelsDirectory: modelsDirectory)
        func configuration<Network: Codable & Sendable>(_: Network.Type) throws -> Network {
            let configuration = try folder.json(FusionConfiguration<Network>.self, from: file)
            guard configuration.labels == encoders.labels else {
                throw ModelError(folder.path(of: file), .invalid("\"labels\" differ from its encoders' labels"))
            }
            return configuration.network
        }
        let network: FusionNetwork
        do {
            switch architecture {
            case .early:
                network = try FusionNetwork(
                    architecture: .early, encoders: encoders, scope: scope,
                    early: configuration(EarlyFusion.Configuration.self))
            case .late:
                network = try FusionNetwork(
                    architecture: .late, encoders: encoders, scope: scope,
                    late: configuration(LateFusion.Configuration.self))
            case .cross:
                network = try FusionNetwork(
                    architecture: .cross, encoders: encoders, scope: scope,
                    cross: configuration(CrossAttentionFusion.Configuration.self))
            }
        } catch let error as WeightError {
            // The fusion networks changed on 2026-12-07 (DecisionHead; late fusion's gate reading how sure each
            // expert is), so a checkpoint from before lacks tensors or has them in other shapes.
            switch error {
            case .missingKey, .shapeMismatch:
                throw ModelError(
                    error.path,
                    .unsupported(
                        "\(error.reason). Trained by a Braid from before 2026-12-07, when the \(architecture.shortName) "
                            + "fusion network changed? Train it again with 'braid train fusion'"))
            default: throw error
            }
        }
        return (network, encoders)
    }

    var architecture: FusionArchitecture {
        switch self {
        case .early: .early
        case .late: .late
        case .cross: .cross
        }
    }

    /// The `config.json` that describes this network over `encoders`.
    func configuration(encoders: PartEncoders) -> any Encodable & Sendable {
        switch self {
        case .early(let network):
            FusionConfiguration(
                architecture: .early, encoders: encoders.names, labels: encoders.labels, network: network.configuration)
        case .late(let network):
            FusionConfiguration(
                architecture: .late, encoders: encoders.names, labels: encoders.labels, network: network.configuration)
        case .cross(let network):
            FusionConfiguration(
                architecture: .cross, encoders: encoders.names, labels: encoders.labels, network: network.configuration)
        }
    }

    func callAsFunction(_ parts: PartFeatures, training: Bool, rng: inout SeededRNG) -> FusionOutput {
        switch self {
        case .early(let network): network(parts, training: training, rng: &rng)
        case .late(let network): network(parts)
        case .cross(let network): network(parts)
        }
    }
}
