import Foundation

extension CLIPEncoder {
    /// The folder the name `clip` means: `modelsDirectory` itself when it is a CLIP folder, else its `clip`
    /// subfolder; without a `modelsDirectory`, `$BRAID_MODELS/clip` (default `~/.cache/braid/models/clip`).
    public static func folder(for context: EncoderContext) -> URL {
        guard let directory = context.modelsDirectory else { return ModelFiles.cached("clip") }
        if CLIPCheckpoint.isCLIP(folder: directory) { return directory }
        return directory.appending(path: "clip", directoryHint: .isDirectory)
    }

    /// `clip` for images, texts and videos; building one loads the checkpoint in `folder(for: context)`, once
    /// for all three.
    static func registrations(for context: EncoderContext) -> [EncoderRegistration] {
        let folder = folder(for: context)
        return registrations(
            name: "clip", folder: folder, summary: "CLIP from \(folder.path) (a Hugging Face CLIP folder; see the README)")
    }

    /// The CLIP folder `reference` names: `clip`'s folder (``folder(for:)``), a path, or a name in the model cache;
    /// nil when it names no folder or one of another model.
    public static func checkpointFolder(named reference: String, context: EncoderContext) -> URL? {
        if reference == "clip" { return folder(for: context) }
        guard let folder = try? ModelLocator.folder(for: reference, modelsDirectory: context.modelsDirectory),
            let url = folder.directory, CLIPCheckpoint.isCLIP(folder: url)
        else { return nil }
        return url
    }

    /// The registration for a model reference (a path, or a name in the model cache) whose folder holds a CLIP
    /// checkpoint; nil when it names none.
    static func registration(for reference: String, modality: Modality, context: EncoderContext) throws
        -> EncoderRegistration?
    {
        guard let url = checkpointFolder(named: reference, context: context) else { return nil }
        guard [.image, .text, .video].contains(modality) else {
            throw EncodeError.invalidSelection(
                "\(modality)=\(reference)", reason: "CLIP model '\(reference)' embeds images, texts and videos")
        }
        return registrations(name: reference, folder: url, summary: "CLIP from \(url.path)")
            .first { $0.modality == modality }
    }

    /// The image, text and video registrations of the checkpoint in `folder`.
    private static func registrations(name: String, folder: URL, summary: String) -> [EncoderRegistration] {
        // The dimension without loading the weights; 512, transformers' default, when the file is absent.
        let dimension = (try? CLIPCheckpoint.configuration(in: folder))?.projectionDim ?? 512
        return [Modality.image, .text, .video].map { modality in
            EncoderRegistration(name: name, modality: modality, dimension: dimension, summary: summary) { _ in
                CLIPEncoder(name: name, modality: modality, checkpoint: try CLIPCheckpoint.shared(folder: folder))
            }
        }
    }
}
