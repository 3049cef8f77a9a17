import Foundation

/// What an encoder factory may need: where model files live.
public struct EncoderContext: Sendable {
    /// The folder holding one subfolder per model (for example `all-MiniLM-L6-v2/`); `nil` when none was given.
    public var modelsDirectory: URL?

    /// - Parameter modelsDirectory: The folder of model subfolders, or `nil`.
    public init(modelsDirectory: URL? = nil) {
        self.modelsDirectory = modelsDirectory
    }
}

/// An encoder the registry can list without building it, and the factory that builds it.
///
/// Model-backed encoders register a factory that reads their files from `EncoderContext.modelsDirectory`, so
/// listing them (`braid encoders`) loads no weights and the registry needs no knowledge of any model.
public struct EncoderRegistration: Sendable {
    public let name: String
    public let modality: Modality
    public let dimension: Int
    /// One line for `braid encoders`.
    public let summary: String
    let make: @Sendable (EncoderContext) throws -> any Encoder

    /// Registers a factory, for encoders that load files or are costly to build.
    ///
    /// - Parameters:
    ///   - name: The name `--encoder` selects it by; unique within its modality.
    ///   - modality: The modality the built encoder accepts.
    ///   - dimension: The length of the vectors the built encoder returns.
    ///   - summary: One line describing it.
    ///   - make: Builds the encoder; throws when its files are missing or invalid.
    public init(
        name: String, modality: Modality, dimension: Int, summary: String,
        make: @escaping @Sendable (EncoderContext) throws -> any Encoder
    ) {
        self.name = name
        self.modality = modality
        self.dimension = dimension
        self.summary = summary
        self.make = make
    }

    /// Registers a ready encoder whose name, modality and dimension are its own.
    ///
    /// - Parameters:
    ///   - encoder: The encoder every `makeEncoder` call returns.
    ///   - summary: One line describing it.
    public init(_ encoder: some Encoder, summary: String) {
        self.init(
            name: encoder.name, modality: encoder.modality, dimension: encoder.dimension, summary: summary,
            make: { _ in encoder })
    }
}

/// The encoders Braid can use, the default for each modality, and the `--encoder` choices that pick among them.
public struct EncoderRegistry: Sendable {
    /// Every registration, in registration order.
    public private(set) var registrations: [EncoderRegistration] = []
    private var defaultNames: [Modality: String] = [:]
    /// Turns a name no registration has into an encoder, when it names a model (in the model cache, or a folder's
    /// path); nil when it names none.
    public var modelResolver: (@Sendable (_ name: String, _ modality: Modality) throws -> EncoderRegistration?)?

    /// An empty registry.
    public init() {}

    /// The weight-free encoders, each the default for its modality.
    public static let builtIn: EncoderRegistry = {
        var registry = EncoderRegistry()
        registry.register(
            EncoderRegistration(
                HashedTextEncoder(),
                summary: "signed feature hashing of words, word pairs and character 3-5-grams"),
            asDefault: true)
        registry.register(
            EncoderRegistration(
                ImageFeaturesEncoder(),
                summary: "HSV colour histogram, gradient-orientation histograms and 8x8 luminance layout"),
            asDefault: true)
        registry.register(
            EncoderRegistration(
                LogMelEncoder(),
                summary: "mean and spread over time of 40 log-mel bands and of their deltas"),
            asDefault: true)
        registry.register(
            EncoderRegistration(
                VideoFeaturesEncoder(frames: ImageFeaturesEncoder(), soundtrack: LogMelEncoder()),
                summary: "mean 'features' of the sampled frames joined with 'logmel' of the soundtrack"),
            asDefault: true)
        return registry
    }()

    /// Adds an encoder, replacing one of the same name and modality.
    ///
    /// - Parameters:
    ///   - registration: The encoder's description and factory.
    ///   - asDefault: Whether it becomes the default for its modality.
    public mutating func register(_ registration: EncoderRegistration, asDefault: Bool = false) {
        registrations.removeAll { $0.name == registration.name && $0.modality == registration.modality }
        registrations.append(registration)
        if asDefault { defaultNames[registration.modality] = registration.name }
    }

    /// The registration of `name` for `modality`, if there is one.
    public func registration(named name: String, for modality: Modality) -> EncoderRegistration? {
        registrations.first { $0.name == name && $0.modality == modality }
    }

    /// The name of the encoder used for `modality` when `--encoder` does not choose one.
    public func defaultName(for modality: Modality) -> String? {
        defaultNames[modality]
    }

    /// Checks that every chosen name is registered for its modality.
    ///
    /// - Parameter choices: Encoder names by modality, as `parseSelection` returns them.
    /// - Throws: `EncodeError.unknownEncoder` for the first unknown name, in `Modality.allCases` order.
    public func validate(_ choices: [Modality: String]) throws {
        for modality in Modality.allCases where choices[modality] != nil {
            _ = try chosenRegistration(for: modality, choices: choices)
        }
    }

    /// Builds the encoder for `modality`: the one `choices` names, else the default.
    ///
    /// - Parameters:
    ///   - modality: The modality to embed.
    ///   - choices: Encoder names by modality; modalities left out use their default.
    ///   - context: What factories of model-backed encoders read their files from.
    /// - Throws: `EncodeError.unknownEncoder` when no such encoder (or no default) exists, the factory's error
    ///   when building fails, `EncodeError.registrationMismatch` when the built encoder contradicts its
    ///   registration.
    public func makeEncoder(
        for modality: Modality, choices: [Modality: String] = [:], context: EncoderContext = EncoderContext()
    ) throws -> any Encoder {
        let registration = try chosenRegistration(for: modality, choices: choices)
        let encoder = try registration.make(context)
        if encoder.modality != registration.modality {
            throw EncodeError.registrationMismatch(
                name: registration.name,
                reason: "built for \(encoder.modality), registered for \(registration.modality)")
        }
        if encoder.dimension != registration.dimension {
            throw EncodeError.registrationMismatch(
                name: registration.name,
                reason: "built with dimension \(encoder.dimension), registered with \(registration.dimension)")
        }
        return encoder
    }

    private func chosenRegistration(
        for modality: Modality, choices: [Modality: String]
    ) throws -> EncoderRegistration {
        let name = choices[modality] ?? defaultNames[modality] ?? ""
        if let registration = registration(named: name, for: modality) { return registration }
        if !name.isEmpty, let registration = try modelResolver?(name, modality) { return registration }
        let available = registrations.filter { $0.modality == modality }.map(\.name)
        throw EncodeError.unknownEncoder(name: name, modality: modality, available: available)
    }

    /// Parses the value of `--encoder`: comma-separated `modality=name` pairs, such as `image=features,text=hashed`.
    ///
    /// Whitespace around modalities and names is ignored. Names are not checked here; `validate` checks them.
    ///
    /// - Parameter text: The option's value.
    /// - Returns: The chosen name for each modality mentioned.
    /// - Throws: `EncodeError.invalidSelection` for an empty value or pair, a pair without `=`, an unknown
    ///   modality, an empty name or a modality chosen twice.
    public static func parseSelection(_ text: String) throws -> [Modality: String] {
        let pairs = text.split(separator: ",", omittingEmptySubsequences: false)
        var choices: [Modality: String] = [:]
        for pair in pairs {
            let trimmedPair = pair.trimmingCharacters(in: .whitespaces)
            guard !trimmedPair.isEmpty else {
                throw EncodeError.invalidSelection(text, reason: "expected modality=name pairs separated by commas")
            }
            let parts = trimmedPair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw EncodeError.invalidSelection(text, reason: "'\(trimmedPair)' is not of the form modality=name")
            }
            let modalityName = parts[0].trimmingCharacters(in: .whitespaces)
            let encoderName = parts[1].trimmingCharacters(in: .whitespaces)
            guard let modality = Modality(rawValue: modalityName) else {
                let known = Modality.allCases.map(\.rawValue).joined(separator: ", ")
                throw EncodeError.invalidSelection(
                    text, reason: "unknown modality '\(modalityName)' (expected one of \(known))")
            }
            guard !encoderName.isEmpty else {
                throw EncodeError.invalidSelection(text, reason: "no encoder name after '\(modalityName)='")
            }
            guard choices[modality] == nil else {
                throw EncodeError.invalidSelection(text, reason: "\(modalityName) is chosen more than once")
            }
            choices[modality] = encoderName
        }
        return choices
    }
}
