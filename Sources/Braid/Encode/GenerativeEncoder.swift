import Foundation

/// A trained autoencoder, VAE or VQ-VAE as an image encoder: `braid embed --encoder image=digits-vae` writes each
/// image's code (the VAE's posterior mean µ, the VQ-VAE's quantised grid), as ``GenerativeModel/embed(_:)`` gives
/// it, unnormalised: distances between codes are the model's own.
struct GenerativeEncoder: Encoder {
    let model: GenerativeModel

    var name: String { model.name }
    var modality: Modality { .image }
    var dimension: Int { model.embeddingSize }

    func encode(_ inputs: [Media]) throws -> [[Float]] {
        if let other = inputs.first(where: { $0.modality != .image }) { throw wrongModality(other) }
        return try model.embed(inputs)
    }

    /// A registration for each generative model shipped in the binary, found by name as ``ModelLocator`` finds it;
    /// listing them reads their `config.json` only, and a model's weights load when it is chosen.
    static func shippedRegistrations(context: EncoderContext) -> [EncoderRegistration] {
        ModelLocator.shippedNames.compactMap { name in
            guard let folder = try? ModelLocator.folder(for: name, modelsDirectory: context.modelsDirectory),
                (try? folder.isGenerative) == true, let header = try? folder.json(Header.self, from: "config.json")
            else { return nil }
            return EncoderRegistration(
                name: name, modality: .image, dimension: header.embeddingSize,
                summary: "shipped \(header.architecture.rawValue); \(describe(header.architecture))",
                make: { _ in GenerativeEncoder(model: try GenerativeModel(folder: folder)) })
        }
    }

    /// What a model folder's `config.json` says of its embedding, without its weights.
    private struct Header: Decodable {
        struct Network: Decodable {
            let inputSize: Int?
            let codeSize: Int?
            let latentSize: Int?
            enum CodingKeys: String, CodingKey {
                case inputSize = "input_size"
                case codeSize = "code_size"
                case latentSize = "latent_size"
            }
        }
        let architecture: GenerativeArchitecture
        let network: Network

        /// As ``GenerativeNetwork/embeddingSize``.
        var embeddingSize: Int {
            switch architecture {
            case .autoencoder: network.codeSize ?? 0
            case .vae: network.latentSize ?? 0
            case .vqvae: (network.codeSize ?? 0) * ((network.inputSize ?? 0) / 4) * ((network.inputSize ?? 0) / 4)
            }
        }
    }

    /// The registration of the generative model `reference` names, for `--encoder image=NAME|PATH`; nil when no
    /// model of that name exists or it is not a generative one.
    static func registration(for reference: String, modality: Modality, context: EncoderContext) throws
        -> EncoderRegistration?
    {
        guard let folder = try? ModelLocator.folder(for: reference, modelsDirectory: context.modelsDirectory),
            try folder.isGenerative
        else { return nil }
        guard modality == .image else {
            throw EncodeError.invalidSelection(
                "\(modality)=\(reference)", reason: "model '\(reference)' embeds images, not \(modality)")
        }
        let model = try GenerativeModel(folder: folder)
        return registration(model, summary: "trained \(model.architecture.rawValue) '\(reference)'")
    }

    private static func registration(_ model: GenerativeModel, summary: String) -> EncoderRegistration {
        EncoderRegistration(
            name: model.name, modality: .image, dimension: model.embeddingSize,
            summary: "\(summary); \(describe(model.architecture))", make: { _ in GenerativeEncoder(model: model) })
    }

    private static func describe(_ architecture: GenerativeArchitecture) -> String {
        switch architecture {
        case .autoencoder: "its code"
        case .vae: "its posterior mean µ"
        case .vqvae: "its quantised 7×7 grid, flattened"
        }
    }
}
