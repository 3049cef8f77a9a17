import BraidTensor
import Dispatch
import Foundation
import Synchronization

/// A classifier's `config.json`: what it is, what its labels are, and how media becomes its input.
///
/// ```json
/// {"architecture": "image-cnn", "modality": "image", "labels": ["0", "1", …],
///  "front_end": {"size": 28, "box": 20}, "network": {"channels": [32, 64], …}}
/// ```
struct ClassifierConfiguration<FrontEnd: Codable & Sendable, Network: Codable & Sendable>: Codable, Sendable {
    var architecture: ClassifierArchitecture
    var modality: Modality
    /// The class names, in the order of the network's outputs.
    var labels: [String]
    var frontEnd: FrontEnd
    var network: Network

    enum CodingKeys: String, CodingKey {
        case architecture, modality, labels
        case frontEnd = "front_end"
        case network
    }
}

/// The classifier architectures Braid builds, by their `config.json` name.
public enum ClassifierArchitecture: String, Codable, Sendable, CaseIterable {
    case imageCNN = "image-cnn"
    case audioCNN = "audio-cnn"

    /// The modality each architecture reads.
    public var modality: Modality {
        switch self {
        case .imageCNN: .image
        case .audioCNN: .audio
        }
    }

    /// The architecture a new classifier of `modality` gets.
    public static func `default`(for modality: Modality) -> ClassifierArchitecture? {
        allCases.first { $0.modality == modality }
    }
}

/// A network built from its `config.json` section, as ``ClassifierNetwork/load(from:scope:)`` builds either kind.
protocol ConfigurableNetwork {
    associatedtype Configuration: Codable & Sendable
    init(configuration: Configuration, classes: Int, scope: WeightScope) throws
}

extension ImageCNN: ConfigurableNetwork {}
extension AudioCNN: ConfigurableNetwork {}

/// A classifier network with the front end that feeds it, of either architecture: what the training loop,
/// `classify`, `eval` and the encoder need alike.
enum ClassifierNetwork: Sendable {
    case image(ImageCNN, DigitImageFrontEnd)
    case audio(AudioCNN, LogMelFrontEnd)

    /// The name `classify` and `embed` report the failures of this network under.
    static let encoderName = "classifier"

    /// Builds the network `architecture` names with default settings and `classes` outputs, reading or creating
    /// its parameters through `scope`; the configuration it was built with is in ``configuration(labels:)``.
    init(architecture: ClassifierArchitecture, classes: Int, scope: WeightScope) throws {
        switch architecture {
        case .imageCNN: self = .image(try ImageCNN(configuration: .init(), classes: classes, scope: scope), .init())
        case .audioCNN: self = .audio(try AudioCNN(configuration: .init(), classes: classes, scope: scope), .init())
        }
    }

    /// Reads `config.json` from `folder` and builds the network it describes on `scope`.
    /// - Returns: The network and its labels.
    /// - Throws: `ModelError` naming `config.json` when it does not describe a classifier Braid builds.
    static func load(from folder: ModelFolder, scope: WeightScope) throws -> (
        network: ClassifierNetwork, labels: [String]
    ) {
        struct Header: Decodable { let architecture: String? }
        let file = "config.json"
        guard let name = try folder.json(Header.self, from: file).architecture else {
            throw ModelError(folder.path(of: file), .invalid("no \"architecture\": not a Braid classifier"))
        }
        guard let architecture = ClassifierArchitecture(rawValue: name) else {
            let known = ClassifierArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
            throw ModelError(
                folder.path(of: file), .unsupported("architecture '\(name)' is not a classifier (known: \(known))"))
        }
        func load<Network: ConfigurableNetwork, FrontEnd: Codable & Sendable>(
            _: Network.Type, _: FrontEnd.Type
        ) throws -> (Network, FrontEnd, labels: [String]) {
            let configuration = try folder.json(
                ClassifierConfiguration<FrontEnd, Network.Configuration>.self, from: file)
            guard configuration.labels.count >= 2, Set(configuration.labels).count == configuration.labels.count else {
                throw ModelError(folder.path(of: file), .invalid("\"labels\" must name two or more distinct classes"))
            }
            let network = try Network(
                configuration: configuration.network, classes: configuration.labels.count, scope: scope)
            return (network, configuration.frontEnd, configuration.labels)
        }
        switch architecture {
        case .imageCNN:
            let (network, frontEnd, labels) = try load(ImageCNN.self, DigitImageFrontEnd.self)
            return (.image(network, frontEnd), labels)
        case .audioCNN:
            let (network, frontEnd, labels) = try load(AudioCNN.self, LogMelFrontEnd.self)
            return (.audio(network, frontEnd), labels)
        }
    }

    /// The `config.json` that describes this network with `labels`.
    func configuration(labels: [String]) -> any Encodable & Sendable {
        switch self {
        case .image(let network, let frontEnd):
            ClassifierConfiguration(
                architecture: .imageCNN, modality: .image, labels: labels, frontEnd: frontEnd,
                network: network.configuration)
        case .audio(let network, let frontEnd):
            ClassifierConfiguration(
                architecture: .audioCNN, modality: .audio, labels: labels, frontEnd: frontEnd,
                network: network.configuration)
        }
    }

    var modality: Modality {
        switch self {
        case .image: .image
        case .audio: .audio
        }
    }

    /// One item's input, (1, H, W).
    var inputShape: [Int] {
        switch self {
        case .image(_, let frontEnd): frontEnd.inputShape
        case .audio(_, let frontEnd): frontEnd.inputShape
        }
    }

    /// The width of the embedding.
    var embeddingSize: Int {
        switch self {
        case .image(let network, _): network.configuration.hiddenSize
        case .audio(let network, _): network.configuration.hiddenSize
        }
    }

    /// What is kept of an item between epochs: the centred digit, or the clip at the model's rate.
    func example(from media: Media, id: String) throws -> [Float] {
        switch self {
        case .image(_, let frontEnd): try frontEnd.example(from: media, encoder: Self.encoderName)
        case .audio(_, let frontEnd): try frontEnd.example(from: media, id: id, encoder: Self.encoderName)
        }
    }

    /// One item's input from its example, distorted at random by `augmentation` when given.
    func features(of example: [Float], augmentation: Augmentation?, rng: inout SeededRNG) throws -> [Float] {
        switch self {
        case .image(_, let frontEnd):
            guard let augmentation else { return example }
            var image = example
            augmentation.image.apply(to: &image, side: frontEnd.size, rng: &rng)
            return image
        case .audio(_, let frontEnd):
            guard let augmentation = augmentation?.audio else {
                return try frontEnd.spectrogram(ofWindow: frontEnd.window(of: example), encoder: Self.encoderName)
            }
            let rate = frontEnd.sampleRate
            let perturbed = augmentation.perturb(example, sampleRate: rate, rng: &rng)
            var window = frontEnd.window(of: perturbed, shift: augmentation.shift(sampleRate: rate, rng: &rng))
            augmentation.addNoise(to: &window, sampleRate: rate, rng: &rng)
            var spectrogram = try frontEnd.spectrogram(ofWindow: window, encoder: Self.encoderName)
            augmentation.mask(&spectrogram, bands: frontEnd.melBands, frames: frontEnd.frames, rng: &rng)
            return spectrogram
        }
    }

    /// A batch's input, (B, 1, H, W), the examples' features made on every core; each example draws from its own
    /// generator, seeded by `seed` and its position, so the batch is the same however the work is split.
    func inputs(of examples: [[Float]], augmentation: Augmentation?, seed: UInt64) throws -> Tensor {
        let width = Shape.count(inputShape)
        var inputs = [Float](repeating: 0, count: examples.count * width)
        let failure = Mutex<(any Error)?>(nil)
        inputs.withUnsafeMutableBufferPointer { inputs in
            let target = UncheckedBuffer(inputs)
            let threads = min(ProcessInfo.processInfo.activeProcessorCount, examples.count)
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for index in stride(from: thread, to: examples.count, by: threads) {
                    var rng = SeededRNG(seed: SeededRNG.derivedSeed(seed, UInt64(index)))
                    do {
                        let features = try self.features(of: examples[index], augmentation: augmentation, rng: &rng)
                        for (offset, value) in features.enumerated() { target.buffer[index * width + offset] = value }
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                    }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return Tensor(inputs, shape: [examples.count] + inputShape)
    }

    /// - Parameter input: (B, 1, H, W).
    func callAsFunction(_ input: Tensor, training: Bool, rng: inout SeededRNG) -> ClassifierOutput {
        switch self {
        case .image(let network, _): network(input, training: training, rng: &rng)
        case .audio(let network, _): network(input, training: training, rng: &rng)
        }
    }

    /// The network for inference, batch norms folded away.
    func folded() -> ClassifierNetwork {
        switch self {
        case .image(let network, let frontEnd): .image(network.folded(), frontEnd)
        case .audio(let network, let frontEnd): .audio(network.folded(), frontEnd)
        }
    }
}

/// Hands a buffer to the threads of `concurrentPerform`, each of which writes its own examples' slots only.
private struct UncheckedBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}
