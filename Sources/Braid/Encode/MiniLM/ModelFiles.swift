import Foundation

/// The files of a BERT-family sentence-transformers model, in the HuggingFace layout:
///
///     config.json                  BERT hyper-parameters (`BertConfiguration`)
///     model.safetensors            the weights, keyed like HF `BertModel`
///     tokenizer.json               normalizer, pre-tokenizer, WordPiece vocabulary, post-processor
///     sentence_bert_config.json    max_seq_length
///     1_Pooling/config.json        pooling mode (the folder is named by modules.json when present)
///
/// `all-MiniLM-L6-v2` as fetched by `braid models fetch minilm` has this layout, and so does a
/// download from the HuggingFace hub.
public struct ModelFiles: Sendable, Equatable {
    public let folder: URL
    public let configuration: URL
    public let weights: URL
    public let tokenizer: URL
    public let sentenceTransformerConfiguration: URL
    public let pooling: URL

    /// Finds the model files in `folder`.
    /// - Throws: `ModelError` naming the first missing file.
    public init(folder: URL) throws {
        self.folder = folder
        let hint = "expected a sentence-transformers model folder in the HuggingFace layout"
        func required(_ name: String) throws -> URL {
            let url = folder.appending(path: name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ModelError(url.path, .missing(hint: hint))
            }
            return url
        }
        configuration = try required("config.json")
        weights = try required("model.safetensors")
        tokenizer = try required("tokenizer.json")
        sentenceTransformerConfiguration = try required("sentence_bert_config.json")
        pooling = try required("\(try Self.poolingFolder(in: folder))/config.json")
    }

    /// The root of the model cache: `$BRAID_MODELS`, or `~/.cache/braid/models`.
    public static func cacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let root = environment["BRAID_MODELS"], !root.isEmpty {
            return URL(filePath: root, directoryHint: .isDirectory)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/braid/models")
    }

    /// The folder `braid models fetch <name>` fills, e.g. `~/.cache/braid/models/minilm`.
    public static func cached(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> URL
    {
        cacheRoot(environment: environment).appending(path: name, directoryHint: .isDirectory)
    }

    /// sentence-transformers names each module's folder in modules.json; the pooling module is the one
    /// of type `sentence_transformers.models.Pooling`. Without modules.json the conventional name holds.
    private static func poolingFolder(in folder: URL) throws -> String {
        let modules = folder.appending(path: "modules.json")
        guard FileManager.default.fileExists(atPath: modules.path) else { return "1_Pooling" }
        struct Module: Decodable {
            let path: String
            let type: String
        }
        let list: [Module]
        do {
            list = try JSONDecoder().decode([Module].self, from: Data(contentsOf: modules))
        } catch {
            throw ModelError(modules.path, .invalid("\(error)"))
        }
        guard let pooling = list.first(where: { $0.type.hasSuffix(".Pooling") }) else {
            throw ModelError(modules.path, .unsupported("no sentence_transformers.models.Pooling module"))
        }
        return pooling.path
    }
}
