import BraidTensor
import Foundation

/// Starts or resumes a training run in a folder: what `braid train` does once its flags are read.
public enum TrainingRun {
    /// How the run reads its data and reports.
    public struct Environment: Sendable {
        public var threads: Int
        /// Items decoded at once while the data is read.
        public var decodeJobs: Int
        public var quiet: Bool
        /// `--log FILE`.
        public var log: String?

        public init(threads: Int, decodeJobs: Int, quiet: Bool, log: String?) {
            self.threads = threads
            self.decodeJobs = decodeJobs
            self.quiet = quiet
            self.log = log
        }
    }

    /// Trains a new classifier of `architecture` on `data` into `folder`.
    /// - Throws: `TrainingError.checkpoint` when `folder` already holds a run, besides the loop's errors.
    public static func newClassifier(
        architecture: ClassifierArchitecture, data: LabelledData, options: TrainingOptions, folder path: String,
        environment: Environment
    ) async throws -> TrainingRecord {
        let folder = try RunFolder(path)
        for file in [RunFolder.checkpointFile, "training.json"]
        where FileManager.default.fileExists(atPath: folder.path(file)) {
            throw TrainingError.checkpoint(
                path: path,
                problem: "already holds a training run: continue it with '--resume \(path)', or choose another folder")
        }
        ThreadBudget.setComputeThreads(environment.threads)
        let examples = try await load(
            data, labels: nil, options: options, environment: environment,
            frontEnd: ClassifierTraining.frontEnd(of: architecture))
        let task = try ClassifierTraining(architecture: architecture, labels: examples.labels, options: options)
        try folder.write(json: task.configuration, to: "config.json")
        let record = TrainingRecord(
            task: "classifier", architecture: architecture.rawValue, data: data, options: options,
            threads: environment.threads,
            examples: .init(
                training: examples.trainingCount, validation: examples.validationCount, failed: examples.failedCount),
            labels: examples.labels)
        // Written now so a run stopped before its first epoch ends can be resumed: `--resume` reads the settings here.
        try folder.write(json: record, to: "training.json")
        return try await train(
            task, examples: examples, record: record, folder: path, resuming: false, environment: environment)
    }

    /// Continues the run in `folder` from its checkpoint, with the data and settings it was started with.
    /// - Parameter epochs: A new total of epochs, to train on past the planned end.
    public static func resume(folder path: String, epochs: Int?, environment: Environment) async throws
        -> TrainingRecord
    {
        var record = try RunFolder(path).readRecord()
        if let epochs { record.options.epochs = epochs }
        guard record.task == "classifier" else {
            throw TrainingError.checkpoint(
                path: path, problem: "a '\(record.task)' run; this Braid resumes classifiers")
        }
        if environment.threads != record.threads {
            FileHandle.standardError.write(
                Data(
                    "braid: resuming on \(environment.threads) threads a run started on \(record.threads): the weights will not repeat the uninterrupted run's bit for bit\n"
                        .utf8))
        }
        ThreadBudget.setComputeThreads(environment.threads)
        let folder = ModelFolder(name: path, storage: .directory(URL(fileURLWithPath: path, isDirectory: true)))
        let task = try ClassifierTraining(folder: folder, options: record.options)
        guard task.labels == record.labels else {
            throw TrainingError.checkpoint(path: path, problem: "config.json and training.json name different labels")
        }
        let examples = try await load(
            record.data, labels: record.labels, options: record.options, environment: environment,
            frontEnd: task.frontEnd)
        return try await train(
            task, examples: examples, record: record, folder: path, resuming: true, environment: environment)
    }

    private static func load(
        _ data: LabelledData, labels: [String]?, options: TrainingOptions, environment: Environment,
        frontEnd: @escaping ExampleSet.FrontEnd
    ) async throws -> ExampleSet {
        let progress = ProgressBar(total: nil, quiet: environment.quiet, unit: "items")
        let examples = try await ExampleSet.load(
            data, split: ValidationSplit(fraction: options.validationFraction, seed: options.seed), labels: labels,
            cacheBytes: options.cacheMegabytes << 20, decodeJobs: environment.decodeJobs, errors: .standardError(),
            progress: progress, frontEnd: frontEnd)
        if !environment.quiet {
            let storage = examples.isCached ? "kept in memory" : "read again each epoch (over the cache limit)"
            let failed = examples.failedCount > 0 ? ", \(examples.failedCount) failed (see above)" : ""
            note(
                "\(examples.trainingCount) training and \(examples.validationCount) validation examples of \(examples.labels.count) labels\(failed), \(storage)"
            )
        }
        return examples
    }

    private static func train<Model: TrainingTask>(
        _ task: Model, examples: ExampleSet, record: TrainingRecord, folder: String, resuming: Bool,
        environment: Environment
    ) async throws -> TrainingRecord {
        let options = record.options
        let total = options.epochs * (examples.trainingCount / options.batchSize) * options.batchSize
        let log = try environment.log.map { path throws(OutputError) in try JSONLWriter(appendingTo: path) }
        let progress = ProgressBar(total: total, quiet: environment.quiet, unit: "examples")
        let summary: (@Sendable (String) -> Void)? =
            environment.quiet
            ? nil
            : { @Sendable line in
                if progress.isDrawing { progress.note("braid: " + line) } else { note(line) }
            }
        let reporting = TrainingLoop<Model>.Reporting(progress: progress, epochSummary: summary, log: log)
        let loop = try TrainingLoop(task: task, data: examples, options: options, folder: folder, reporting: reporting)
        return try await loop.run(record: record, resuming: resuming)
    }

    private static func note(_ line: String) {
        FileHandle.standardError.write(Data("braid: \(line)\n".utf8))
    }
}
