import Foundation

/// A trained classifier as an encoder: its embedding is the hidden layer before the class scores, L2-normalised,
/// so `braid embed --encoder image=handwritten-digits` puts digits of one class close together.
struct ClassifierEncoder: Encoder {
    let classifier: Classifier

    var name: String { classifier.name }
    var modality: Modality { classifier.modality }
    var dimension: Int { classifier.embeddingSize }

    func encode(_ inputs: [Media]) throws -> [[Float]] {
        if let other = inputs.first(where: { $0.modality != modality }) { throw wrongModality(other) }
        return try classifier.predict(inputs, ids: inputs.indices.map { "input \($0)" }).map(\.embedding)
    }

    /// A registration for each name of a classifier shipped in the binary, listed by `braid encoders` without
    /// loading it: its modality and width come from its `config.json`. The name finds what
    /// ``ModelLocator/folder(for:modelsDirectory:environment:)`` finds, so a model of that name in the model cache
    /// takes the shipped one's place, as it does for `braid classify`.
    static func shippedRegistrations(context: EncoderContext) -> [EncoderRegistration] {
        struct Header: Decodable {
            struct Network: Decodable {
                let hiddenSize: Int
                enum CodingKeys: String, CodingKey { case hiddenSize = "hidden_size" }
            }
            let modality: Modality
            let labels: [String]
            let network: Network
        }
        return ModelLocator.shippedNames.compactMap { name in
            guard let folder = try? ModelLocator.folder(for: name, modelsDirectory: context.modelsDirectory),
                let header = try? folder.json(Header.self, from: "config.json")
            else { return nil }
            return EncoderRegistration(
                name: name, modality: header.modality, dimension: header.network.hiddenSize,
                summary: "shipped classifier of \(header.labels.count) labels; its hidden layer, L2-normalised",
                make: { _ in ClassifierEncoder(classifier: try Classifier(folder: folder)) })
        }
    }

    /// The registration of the model `reference` names, for `--encoder MODALITY=NAME|PATH`; nil when no model of
    /// that name exists, so the registry reports an unknown encoder.
    static func registration(for reference: String, modality: Modality, context: EncoderContext) throws
        -> EncoderRegistration?
    {
        guard let folder = try? ModelLocator.folder(for: reference, modelsDirectory: context.modelsDirectory) else {
            return nil
        }
        let classifier = try Classifier(folder: folder)
        guard classifier.modality == modality else {
            throw EncodeError.invalidSelection(
                "\(modality)=\(reference)",
                reason: "model '\(reference)' embeds \(classifier.modality), not \(modality)")
        }
        let encoder = ClassifierEncoder(classifier: classifier)
        return EncoderRegistration(encoder, summary: "trained classifier '\(reference)'")
    }
}
