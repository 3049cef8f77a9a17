import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand.Bench {
    struct ClassifierForward: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "classifier",
            abstract: "Time a classifier's forward pass on batches of its input and print one JSON line.",
            discussion: """
                Runs the network alone (inputs already made by the front end) on random batches, after one warm-up \
                batch, and reports the median of --runs timed passes of --repeat batches. scripts/bench-train runs \
                this beside the PyTorch twin of the same network.

                Example:
                  braid bench classifier handwritten-digits --batch-size 128 --threads 2
                """)

        @Argument(help: "The classifier: a shipped name or a model folder's path.")
        var model: String

        @Option(help: "Items per forward pass.")
        var batchSize = 128

        @Option(help: "Batches per timed pass.")
        var `repeat` = 20

        @Option(help: "Timed passes; the median is reported.")
        var runs = 3

        @Option(help: "Compute threads.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        func validate() throws {
            guard batchSize >= 1, `repeat` >= 1, runs >= 1, threads >= 1 else {
                throw ValidationError("'--batch-size', '--repeat', '--runs' and '--threads' must be at least 1")
            }
        }

        func run() throws {
            ThreadBudget.setComputeThreads(threads)
            let classifier = try Braid.Classifier(named: model)
            var rng = SeededRNG(seed: 1)
            let inputs = Tensor.randomUniform([batchSize] + classifier.inputShape, using: &rng)
            _ = classifier.logits(for: inputs)
            var seconds: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<`repeat` { _ = classifier.logits(for: inputs) }
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let median = seconds.sorted()[seconds.count / 2]
            let json = JSONEncoder()
            json.outputFormatting = [.sortedKeys]
            let result: [String: Double] = [
                "batch_size": Double(batchSize), "threads": Double(threads),
                "items_per_second": Double(batchSize * `repeat`) / median,
            ]
            print(String(decoding: try json.encode(result), as: UTF8.self))
        }
    }
}
