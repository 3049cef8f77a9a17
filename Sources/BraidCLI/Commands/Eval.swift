import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand {
    struct Eval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a classifier on labelled data: accuracy, per class, per group, confusion matrix.",
            discussion: """
                Prints one JSON object: {"model","examples","failed","accuracy","labels","per_class","confusion",\
                "per_group"}; confusion[t][p] counts examples of label t called p. Labels are read as 'braid train' \
                reads them. Unless given, --label-pattern and --group-pattern are the ones the model was trained \
                with (training.json). Items that cannot be decoded, or whose label the model does not know, are \
                reported on standard error, and the exit code is then 1.

                Examples:
                  braid eval handwritten-digits --data ../shared/data/mnist/test-images-idx3-ubyte.gz
                  braid eval spoken-digits --data ../shared/data/fsdd/recordings --match '_[0-4]\\.wav$'
                """)

        @Argument(help: "The classifier: a shipped name, a name in $BRAID_MODELS, or a model folder's path.")
        var model: String

        @OptionGroup(title: "Data") var data: DataOptions

        @Option(help: "Items decoded at once; default: one per core.")
        var jobs: Int?

        @Option(help: "Compute threads; default: one per core.")
        var threads: Int?

        @Flag(name: .shortAndLong, help: "Draw no progress bar.")
        var quiet = false

        func validate() throws {
            guard data.isGiven else { throw ValidationError("Give the data: '--data', '--records' or '--tar'.") }
        }

        func run() async throws {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let evaluation: ClassifierEvaluation
            do {
                ThreadBudget.setComputeThreads(threads ?? cores)
                let folder = try ModelLocator.folder(for: model)
                let classifier = try Braid.Classifier(folder: folder)
                var labelled = data.labelledData
                if let trained = try? folder.json(TrainingRecord.self, from: "training.json") {
                    labelled.labelPattern = labelled.labelPattern ?? trained.data.labelPattern
                    labelled.groupPattern = labelled.groupPattern ?? trained.data.groupPattern
                }
                evaluation = try await ClassifierEvaluation.evaluate(
                    classifier, on: labelled, decodeJobs: jobs ?? cores,
                    progress: ProgressBar(total: nil, quiet: quiet, unit: "items"))
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(evaluation) + Data("\n".utf8))
            if evaluation.failed > 0 {
                Diagnostics.warn(
                    "\(evaluation.failed) items failed (see the error lines above); the figures leave them out")
                throw ExitCode.failure
            }
        }
    }
}
