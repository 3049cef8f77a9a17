import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand {
    struct Eval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model on data: a classifier's accuracy, a generative model's reconstruction and likelihood.",
            discussion: """
                Prints one JSON object. For a classifier: {"model","examples","failed","accuracy","labels",\
                "per_class","confusion","per_group"}; confusion[t][p] counts examples of label t called p. Labels \
                are read as 'braid train' reads them; unless given, --label-pattern and --group-pattern are the ones \
                the model was trained with (training.json).

                For a generative model: {"model","architecture","examples","failed","metrics"}, the metrics per \
                pixel or per image: an autoencoder's mse_per_pixel and bce_per_pixel (a denoising one's psnr_noisy \
                and psnr_denoised, its own noise added from a fixed seed), a VAE's neg_elbo, bce and kl in nats (z \
                drawn 10 times per image), a VQ-VAE's mse_per_pixel, perplexity and codes_used; with --knn-index, \
                knn5_accuracy of the encoder's vectors.

                Items that cannot be decoded, or whose label the model does not know, are reported on standard \
                error, and the exit code is then 1.

                Examples:
                  braid eval handwritten-digits --data ../shared/data/mnist/test-images-idx3-ubyte.gz
                  braid eval spoken-digits --data ../shared/data/fsdd/recordings --match '_[0-4]\\.wav$'
                  braid eval digits-ae --data ../shared/data/mnist/test-images-idx3-ubyte.gz \\
                      --knn-index ../shared/data/mnist/train-images-idx3-ubyte.gz
                """)

        @Argument(help: "The model: a shipped name, a name in $BRAID_MODELS, or a model folder's path.")
        var model: String

        @Option(
            help: ArgumentHelp(
                "Labelled images (an IDX file, folders) whose encoder vectors a k-NN classifier of the data looks up.",
                valueName: "PATH"))
        var knnIndex: String?

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
            let evaluation: any Encodable
            let failed: Int
            do {
                ThreadBudget.setComputeThreads(threads ?? cores)
                let folder = try ModelLocator.folder(for: model)
                let progress = ProgressBar(total: nil, quiet: quiet, unit: "items")
                if try folder.isGenerative {
                    var index: LabelledData?
                    if let knnIndex {
                        index = LabelledData()
                        index?.paths = [knnIndex]
                    }
                    let generative = try await GenerativeEvaluation.evaluate(
                        GenerativeModel(folder: folder), on: data.labelledData, knnIndex: index,
                        decodeJobs: jobs ?? cores, progress: progress)
                    (evaluation, failed) = (generative, generative.failed)
                } else {
                    var labelled = data.labelledData
                    if let trained = try? folder.json(TrainingRecord.self, from: "training.json") {
                        labelled.labelPattern = labelled.labelPattern ?? trained.data.labelPattern
                        labelled.groupPattern = labelled.groupPattern ?? trained.data.groupPattern
                    }
                    let classification = try await ClassifierEvaluation.evaluate(
                        Braid.Classifier(folder: folder), on: labelled, decodeJobs: jobs ?? cores, progress: progress)
                    (evaluation, failed) = (classification, classification.failed)
                }
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(evaluation) + Data("\n".utf8))
            if failed > 0 {
                Diagnostics.warn("\(failed) items failed (see the error lines above); the figures leave them out")
                throw ExitCode.failure
            }
        }
    }
}
