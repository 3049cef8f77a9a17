import Foundation

extension MiniLMEncoder {
    /// The model folder an encoder context points at: `modelsDirectory` itself when it is a model folder
    /// (holds config.json), else its `minilm` subfolder; without a `modelsDirectory`, the cache's
    /// (`$BRAID_MODELS/minilm`, default `~/.cache/braid/models/minilm`).
    public static func folder(for context: EncoderContext) -> URL {
        guard let directory = context.modelsDirectory else { return ModelFiles.cached(ModelFetcher.miniLM.name) }
        if FileManager.default.fileExists(atPath: directory.appending(path: "config.json").path) { return directory }
        return directory.appending(path: ModelFetcher.miniLM.name, directoryHint: .isDirectory)
    }

    /// The registration of `minilm`; building it loads the model from `folder(for: context)`. Its
    /// dimension is that folder's `hidden_size` (384 for all-MiniLM-L6-v2, also when the files are absent).
    public static func registration(for context: EncoderContext) -> EncoderRegistration {
        let configuration = try? decodeJSON(
            BertConfiguration.self, from: folder(for: context).appending(path: "config.json"))
        return EncoderRegistration(
            name: "minilm", modality: .text, dimension: configuration?.hiddenSize ?? 384,
            summary: "all-MiniLM-L6-v2 sentence embedding (BERT, mean pooling); 'braid models fetch minilm' gets it",
            make: { context in try MiniLMEncoder(folder: folder(for: context)) })
    }
}

extension EncoderRegistry {
    /// The built-in encoders plus `minilm`, which becomes the default text encoder when its files are
    /// in `MiniLMEncoder.folder(for: context)`. Otherwise `hashed` stays the default, and `minilm` can
    /// still be chosen, failing with the name of the missing file.
    ///
    /// `clip` embeds images, texts and videos with the CLIP checkpoint in `CLIPEncoder.folder(for: context)`, and so
    /// does the name or path of any other CLIP folder. The classifiers and generative models shipped in the binary (`handwritten-digits`, `spoken-digits`,
    /// `digits-vae`, …) are encoders of their modality; so is any model a name finds in the model cache, or a model
    /// folder's path.
    public static func withModels(_ context: EncoderContext = EncoderContext()) -> EncoderRegistry {
        var registry = EncoderRegistry.builtIn
        let present = (try? ModelFiles(folder: MiniLMEncoder.folder(for: context))) != nil
        registry.register(MiniLMEncoder.registration(for: context), asDefault: present)
        for registration in CLIPEncoder.registrations(for: context)
            + ClassifierEncoder.shippedRegistrations(context: context)
            + GenerativeEncoder.shippedRegistrations(context: context)
        {
            registry.register(registration)
        }
        registry.modelResolver = { name, modality in
            try CLIPEncoder.registration(for: name, modality: modality, context: context)
                ?? GenerativeEncoder.registration(for: name, modality: modality, context: context)
                ?? ClassifierEncoder.registration(for: name, modality: modality, context: context)
        }
        return registry
    }
}
