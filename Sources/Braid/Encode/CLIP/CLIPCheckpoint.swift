import BraidTensor
import Foundation
import Synchronization

/// A Hugging Face CLIP folder, loaded: the model, its tokenizer and its image preprocessing.
///
///     config.json                `CLIPConfig` ("model_type": "clip")
///     model.safetensors          the weights, keyed like transformers' `CLIPModel`
///     vocab.json, merges.txt     the byte-level BPE vocabulary
///     preprocessor_config.json   the image preprocessing (`CLIPImageProcessor`)
///
/// That is what `CLIPModel.save_pretrained(folder)` and `CLIPProcessor.save_pretrained(folder)` write, and what
/// the Hugging Face hub's openai/clip-vit-* repositories hold.
public final class CLIPCheckpoint: Sendable {
    public let folder: URL
    public let model: CLIPModel
    public let tokenizer: CLIPTokenizer
    public let imageProcessor: CLIPImageProcessor

    /// Loads every file, checking that they fit each other, so that a bad checkpoint fails before any item.
    /// - Throws: `ModelError` or `WeightError` naming the file (and the tensor) that is missing or wrong.
    public init(folder: URL) throws {
        func file(_ name: String) -> URL { folder.appending(path: name) }
        let configurationURL = file("config.json")
        let configuration = try Self.configuration(in: folder)
        let weights = file("model.safetensors")
        if !FileManager.default.fileExists(atPath: weights.path) {
            let pickle = file("pytorch_model.bin")
            guard FileManager.default.fileExists(atPath: pickle.path) else {
                throw ModelError(weights.path, .missing(hint: "a CLIP folder needs the weights as safetensors"))
            }
            throw ModelError(
                pickle.path,
                .unsupported(
                    "PyTorch pickle weights; Braid reads model.safetensors. Convert the folder once with: python -c "
                        + "\"from transformers import CLIPModel as M; M.from_pretrained('\(folder.path)')"
                        + ".save_pretrained('\(folder.path)', safe_serialization=True)\""))
        }
        for name in ["vocab.json", "merges.txt", "preprocessor_config.json"]
        where !FileManager.default.fileExists(atPath: file(name).path) {
            throw ModelError(
                file(name).path,
                .missing(hint: "a CLIP folder holds what CLIPModel and CLIPProcessor save_pretrained write"))
        }
        do {
            model = try CLIPModel(configuration: configuration, scope: .loading(SafeTensorsFile(contentsOf: weights)))
        } catch WeightError.badConfiguration(_, let reason) {
            throw ModelError(configurationURL.path, .invalid(reason))
        }
        let text = configuration.textConfig
        tokenizer = try CLIPTokenizer(
            vocabulary: file("vocab.json"), merges: file("merges.txt"), maxLength: text.maxPositionEmbeddings)
        if let largest = tokenizer.largestID, largest >= text.vocabSize {
            throw ModelError(
                file("vocab.json").path, .invalid("token id \(largest) is outside vocab_size \(text.vocabSize)"))
        }
        let processorURL = file("preprocessor_config.json")
        let processorConfiguration: CLIPImageProcessorConfiguration
        do {
            processorConfiguration = try JSONDecoder().decode(
                CLIPImageProcessorConfiguration.self, from: Data(contentsOf: processorURL))
        } catch {
            throw ModelError(processorURL.path, .invalid(ModelFolder.describe(error)))
        }
        imageProcessor = try CLIPImageProcessor(configuration: processorConfiguration, path: processorURL.path)
        let side = configuration.visionConfig.imageSize
        guard let size = imageProcessor.outputSize, size == (side, side) else {
            let made = imageProcessor.outputSize.map { "\($0.width)×\($0.height)" } ?? "images of varying size"
            throw ModelError(processorURL.path, .invalid("it makes \(made), the vision model takes \(side)×\(side)"))
        }
        self.folder = folder
    }

    /// The folder's config.json, which must describe a CLIP model.
    /// - Throws: `ModelError` naming config.json when it is missing, malformed or of another architecture.
    static func configuration(in folder: URL) throws -> CLIPConfiguration {
        let url = folder.appending(path: "config.json")
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError(url.path, .missing(hint: "expected a Hugging Face CLIP folder"))
        }
        let configuration: CLIPConfiguration
        do {
            configuration = try JSONDecoder().decode(CLIPConfiguration.self, from: data)
        } catch {
            throw ModelError(url.path, .invalid(ModelFolder.describe(error)))
        }
        guard configuration.modelType == "clip" else {
            throw ModelError(
                url.path,
                .unsupported("model_type '\(configuration.modelType ?? "none")': Braid reads CLIP checkpoints (\"model_type\": \"clip\")"))
        }
        return configuration
    }

    /// Whether `folder`'s config.json says it holds a CLIP model.
    public static func isCLIP(folder: URL) -> Bool {
        struct ModelType: Decodable {
            let model_type: String?
        }
        let data = try? Data(contentsOf: folder.appending(path: "config.json"))
        return data.flatMap { try? JSONDecoder().decode(ModelType.self, from: $0) }?.model_type == "clip"
    }

    private static let loaded = Mutex<[URL: CLIPCheckpoint]>([:])

    /// The checkpoint in `folder`, loaded once per process: the image, text and video encoders of one checkpoint
    /// share its weights.
    public static func shared(folder: URL) throws -> CLIPCheckpoint {
        let key = folder.standardizedFileURL
        if let checkpoint = loaded.withLock({ $0[key] }) { return checkpoint }
        let checkpoint = try CLIPCheckpoint(folder: key)
        return loaded.withLock { loaded in
            if let earlier = loaded[key] { return earlier }
            loaded[key] = checkpoint
            return checkpoint
        }
    }
}
