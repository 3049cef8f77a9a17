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

    /// A registration for each generative model shipped in the binary, found by name as ``ModelLocator`` finds it.
    static func shippedRegistrations(context: EncoderContext) -> [EncoderRegistration] {
        ModelLocator.shippedNames.compactMap { name in
            guard let folder = try? ModelLocator.folder(for: name, modelsDirectory: context.modelsDirectory),
                (try? folder.isGenerative) == true, let model = try? GenerativeModel(folder: folder)
            else { return nil }
            return registration(model, summary: "shipped \(model.architecture.rawValue)")
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
        let what =
            switch model.architecture {
            case .autoencoder: "its code"
            case .vae: "its posterior mean µ"
            case .vqvae: "its quantised 7×7 grid, flattened"
            }
        return EncoderRegistration(
            name: model.name, modality: .image, dimension: model.embeddingSize, summary: "\(summary); \(what)",
            make: { _ in GenerativeEncoder(model: model) })
    }
}
