import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand.Bench {
    struct MiniLM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "minilm",
            abstract: "Time the minilm text encoder on a corpus and print one JSON line with its sentences/s.",
            discussion: """
                Embeds every line of the corpus (after one warm-up pass over the first 64 lines), --runs times, \
                and reports the median. scripts/bench-minilm runs this beside ONNX Runtime on the same corpus.

                Example:
                  braid bench minilm ../shared/reference/corpus_2000.txt --threads 2
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
