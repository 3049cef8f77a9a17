import ArgumentParser
import Braid
import Foundation

/// Starts or resumes a run for any `braid train` subcommand: Ctrl-C stops it at a step boundary (exit 130, with the
/// command that resumes it), and the one summary line goes to standard output.
enum TrainingLauncher {
    /// - Parameters:
    ///   - kind: What a new run trains; unused when `training.resume` is given.
    ///   - command: The subcommand's name, for the resume hint (`classifier`, `vae`).
    static func run(
        _ kind: TrainingKind?, command: String, data: DataOptions, training: TrainingFlags,
        defaults: TrainingOptions, jobs: Int?
    ) async throws {
        let environment = TrainingRun.Environment(
            threads: training.threadCount, decodeJobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
            quiet: training.quiet, log: training.log)
        guard let folder = training.resume ?? training.out else { throw ExitCode.validationFailure }
        let (resume, epochs, options, labelled) = (
            training.resume, training.epochs, try training.options(over: defaults), data.labelledData
        )
        let work = Task {
            if let resume {
                return try await TrainingRun.resume(folder: resume, epochs: epochs, environment: environment)
            }
            guard let kind else { throw ExitCode.validationFailure }
            return try await TrainingRun.start(
                kind, data: labelled, options: options, folder: folder, environment: environment)
        }
        let interruption = SignalWatch(cancelling: work)
        defer { interruption.stop() }
        let record: TrainingRecord
        do {
            record = try await work.value
        } catch let exit as ExitCode {
            throw exit
        } catch is CancellationError where interruption.received != nil {
            Diagnostics.warn("interrupted: continue with 'braid train \(command) --resume \(folder)'")
            throw ExitCode(128 + (interruption.received ?? SIGINT))
        } catch {
            Diagnostics.report(error)
            throw ExitCode.failure
        }
        try TrainingSummary(folder: folder, record: record).write()
    }

    /// The check every subcommand makes of `--resume` against the other flags.
    static func validate(resuming training: TrainingFlags, data: DataOptions, extraGiven: Bool) throws {
        guard !data.isGiven, !extraGiven, !training.changesTraining else {
            throw ValidationError(
                "'--resume' continues with the run's own data and settings; give only '--epochs', '--threads', '--log' or '--quiet' with it."
            )
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
