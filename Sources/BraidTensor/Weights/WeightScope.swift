import Foundation

/// How a fresh parameter is filled when a model is built for training rather than loaded.
public enum Initializer: Sendable {
    case zeros
    case ones
    /// Uniform in [-bound, bound].
    case uniform(bound: Float)
    /// Normal with mean 0.
    case normal(standardDeviation: Float)

    /// PyTorch's default for Linear and Conv weights and biases (`kaiming_uniform_(a=√5)` reduces
    /// to a bound of 1/√fanIn).
    public static func pytorchDefault(fanIn: Int) -> Initializer {
        .uniform(bound: 1 / Float(Swift.max(fanIn, 1)).squareRoot())
    }
}

/// Where layers get their parameters, by path, like candle's `VarBuilder`: `scope("encoder")
/// .scope("layer.0")` builds the prefix, and `parameter("weight", …)` either reads
/// `encoder.layer.0.weight` from a checkpoint or creates it with a seeded initializer. Either way the
/// tensor is registered in `store` under that path, so a model's parameter names are its checkpoint
/// keys with no remapping.
public struct WeightScope: Sendable {
    private enum Source: Sendable {
        case checkpoint(SafeTensorsFile, trainable: Bool)
        case initializer(GeneratorBox)
    }

    /// Shares one seeded generator between every scope derived from the same root.
    private final class GeneratorBox: @unchecked Sendable {
        var generator: SeededRNG
        init(seed: UInt64) { generator = SeededRNG(seed: seed) }
    }

    private let source: Source
    /// The dotted prefix of this scope, empty at the root.
    public let prefix: String
    /// Every parameter created or loaded through this scope and its relatives.
    public let store: ParameterStore

    private init(source: Source, prefix: String, store: ParameterStore) {
        self.source = source
        self.prefix = prefix
        self.store = store
    }

    /// A root scope that creates fresh, trainable parameters from `seed`: the same seed and the
    /// same construction order give the same values, bit for bit.
    public static func initializing(seed: UInt64) -> WeightScope {
        WeightScope(source: .initializer(GeneratorBox(seed: seed)), prefix: "", store: ParameterStore())
    }

    /// A root scope that reads parameters from `file`.
    /// - Parameter trainable: Whether loaded parameters require gradients (fine-tuning).
    public static func loading(_ file: SafeTensorsFile, trainable: Bool = false) -> WeightScope {
        WeightScope(source: .checkpoint(file, trainable: trainable), prefix: "", store: ParameterStore())
    }

    /// The scope one level down: `scope("encoder").scope("layer.0")` has prefix `encoder.layer.0`.
    public func scope(_ name: String) -> WeightScope {
        WeightScope(source: source, prefix: path(name), store: store)
    }

    /// The full key of `name` in this scope.
    public func path(_ name: String) -> String {
        prefix.isEmpty ? name : "\(prefix).\(name)"
    }

    /// Whether the checkpoint behind this scope has `name` (always false when initializing): for
    /// optional tensors such as a bias a checkpoint may omit.
    public func contains(_ name: String) -> Bool {
        if case .checkpoint(let file, _) = source { return file.entries[path(name)] != nil }
        return false
    }

    /// Loads or creates the parameter `name` of `shape` and registers it.
    /// - Parameters:
    ///   - initializer: How to fill it when not loading from a checkpoint.
    /// - Throws: `WeightError.missingKey` / `.shapeMismatch` naming the checkpoint file.
    public func parameter(_ name: String, shape: [Int], initializer: Initializer) throws -> Tensor {
        let tensor = try tensor(name, shape: shape, initializer: initializer)
        switch source {
        case .checkpoint(_, let trainable): tensor.requiresGrad = trainable
        case .initializer: tensor.requiresGrad = true
        }
        store.register(tensor, as: path(name))
        return tensor
    }

    /// Loads or creates the buffer `name` of `shape` and registers it: state the model updates itself
    /// (running statistics), saved and loaded like a parameter but never given a gradient.
    /// - Throws: `WeightError.missingKey` / `.shapeMismatch` naming the checkpoint file.
    public func buffer(_ name: String, shape: [Int], initializer: Initializer) throws -> Tensor {
        let loaded = try tensor(name, shape: shape, initializer: initializer)
        // A checkpoint's tensors may view read-only or shared memory; the model writes its buffers.
        let tensor = loaded.copied()
        store.register(tensor, as: path(name), isBuffer: true)
        return tensor
    }

    private func tensor(_ name: String, shape: [Int], initializer: Initializer) throws -> Tensor {
        switch source {
        case .checkpoint(let file, _):
            return try file.tensor(path(name), shape: shape)
        case .initializer(let box):
            switch initializer {
            case .zeros: return .zeros(shape)
            case .ones: return .ones(shape)
            case .uniform(let bound): return .randomUniform(shape, low: -bound, high: bound, using: &box.generator)
            case .normal(let deviation):
                return .randomNormal(shape, standardDeviation: deviation, using: &box.generator)
            }
        }
    }
}

/// A model built from a `WeightScope` and a `config.json`-shaped configuration, loadable from a
/// HuggingFace-style folder in one line: `let model = try MiniLM.load(fromFolder: url)`.
public protocol PretrainedModel {
    /// The `config.json` contents; its `CodingKeys` are the file's keys.
    associatedtype Configuration: Decodable

    /// Builds the model, reading or creating every parameter through `scope`.
    init(configuration: Configuration, scope: WeightScope) throws
}

extension PretrainedModel {
    /// Loads `config.json` and `model.safetensors` from `folder`.
    /// - Throws: `WeightError` naming the file that is missing, malformed or mismatched.
    public static func load(fromFolder folder: URL, trainable: Bool = false) throws -> Self {
        let configurationURL = folder.appendingPathComponent("config.json")
        let configuration: Configuration
        do {
            configuration = try JSONDecoder().decode(Configuration.self, from: Data(contentsOf: configurationURL))
        } catch let error as DecodingError {
            throw WeightError.badConfiguration(path: configurationURL.path, reason: "\(error)")
        } catch {
            throw WeightError.unreadable(path: configurationURL.path, reason: error.localizedDescription)
        }
        let weights = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("model.safetensors"))
        return try Self(configuration: configuration, scope: .loading(weights, trainable: trainable))
    }
}

extension PretrainedModel where Configuration: Encodable {
    /// Writes `config.json` and `model.safetensors` into `folder` (created if needed), the layout
    /// `load(fromFolder:)` reads.
    public static func save(configuration: Configuration, parameters: ParameterStore, toFolder folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(configuration).write(to: folder.appendingPathComponent("config.json"))
        } catch {
            throw WeightError.unreadable(path: folder.path, reason: error.localizedDescription)
        }
        try parameters.save(to: folder.appendingPathComponent("model.safetensors"))
    }
}
