import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Train {
    struct Classifier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an image or audio classifier (and encoder) on labelled files.",
            discussion: """
                Labels come from the data: a record's "label" (--records), an IDX labels file, the first group of \
                --label-pattern in each file name, or the folder each file is in (one subfolder per class). Files \
                that cannot be decoded or labelled are reported on standard error by name and skipped.

                Images become 28×28 grey digits centred as MNIST's are; sounds become one-second log-mel \
                spectrograms at 8 kHz. The folder written holds config.json, model.safetensors (the best epoch on \
                the validation split), training.json and checkpoint.safetensors. When done, one JSON line on \
                standard output gives the folder and the best epoch's figures.

                Examples:
                  braid train classifier --modality image --data train-images-idx3-ubyte.gz --out runs/mnist
                  braid train classifier --modality audio --data recordings/ --label-pattern '^(\\d)_' \\
                      --match '_([5-9]|[1-4][0-9])\\.wav$' --out runs/fsdd --epochs 60
                  braid train classifier --resume runs/mnist --epochs 20
                """)

        @Option(help: "What the classifier reads: image or audio.")
        var modality: Modality?

        @OptionGroup(title: "Data") var data: DataOptions
        @OptionGroup(title: "Training") var training: TrainingFlags

        @Option(help: "Items decoded at once while the data is read; default: one per core.")
        var jobs: Int?

        func validate() throws {
            if training.resume != nil {
                guard !data.isGiven, modality == nil, !training.changesTraining else {
                    throw ValidationError(
                        "'--resume' continues with the run's own data and settings; give only '--epochs', '--threads', '--log' or '--quiet' with it."
                    )
                }
                return
            }
            guard let modality else { throw ValidationError("Give '--modality image' or '--modality audio'.") }
            guard ClassifierArchitecture.default(for: modality) != nil else {
                throw ValidationError("Braid trains image and audio classifiers, not \(modality).")
            }
            guard data.isGiven else {
                throw ValidationError("Give the training data: '--data', '--records' or '--tar'.")
            }
        }

        func run() async throws {
            let environment = TrainingRun.Environment(
                threads: training.threadCount, decodeJobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                quiet: training.quiet, log: training.log)
            guard let folder = training.resume ?? training.out else { throw ExitCode.validationFailure }
            let (resume, epochs, options, data) = (
                training.resume, training.epochs, training.options(), data.labelledData
            )
            let architecture = modality.flatMap(ClassifierArchitecture.default(for:))
            let work = Task {
                if let resume {
                    return try await TrainingRun.resume(folder: resume, epochs: epochs, environment: environment)
                }
                guard let architecture else { throw ExitCode.validationFailure }
                return try await TrainingRun.newClassifier(
                    architecture: architecture, data: data, options: options, folder: folder, environment: environment)
            }
            let interruption = SignalWatch(cancelling: work)
            defer { interruption.stop() }
            let record: TrainingRecord
            do {
                record = try await work.value
            } catch let exit as ExitCode {
                throw exit
            } catch is CancellationError where interruption.received != nil {
                Diagnostics.warn("interrupted: continue with 'braid train classifier --resume \(folder)'")
                throw ExitCode(128 + (interruption.received ?? SIGINT))
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
            try TrainingSummary(folder: folder, record: record).write()
        }
    }
}

/// The one line `braid train` writes on standard output: where the model is and how its best epoch scored.
struct TrainingSummary: Encodable {
    let model: String
    let bestEpoch: Int?
    let epochs: Int
    let validation: [String: Double]
    let training: [String: Double]

    enum CodingKeys: String, CodingKey {
        case model
        case bestEpoch = "best_epoch"
        case epochs, validation, training
    }

    init(folder: String, record: TrainingRecord) {
        model = folder
        bestEpoch = record.best?.epoch
        epochs = record.history.count
        validation = record.best?.validation ?? [:]
        training = record.best?.training ?? [:]
    }

    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(self) + Data("\n".utf8))
    }
}
