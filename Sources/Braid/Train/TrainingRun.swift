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

    /// Trains a new model of `kind` on `data` into `folder`.
    /// - Throws: `TrainingError.checkpoint` when `folder` already holds a run, besides the loop's errors.
    public static func start(
        _ kind: TrainingKind, data: LabelledData, options: TrainingOptions, folder path: String,
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
        func examples(frontEnd: @escaping ExampleSet.FrontEnd, requiringLabels: Bool, labels: [String]? = nil)
            async throws -> ExampleSet
        {
            try await load(
                data, labels: labels, requiringLabels: requiringLabels, options: options, environment: environment,
                frontEnd: frontEnd)
        }
        let task: any TrainableModel
        let loaded: ExampleSet
        switch kind {
        case .classifier(let architecture):
            loaded = try await examples(frontEnd: ClassifierTraining.frontEnd(of: architecture), requiringLabels: true)
            task = try ClassifierTraining(architecture: architecture, labels: loaded.labels, options: options)
        case .generative(let settings):
            let generative = try GenerativeTraining(settings: settings, options: options)
            loaded = try await examples(frontEnd: generative.frontEnd, requiringLabels: false)
            task = generative
        case .codePrior(let vqvae, let conditioned):
            let base = try ModelLocator.folder(for: vqvae)
            let unconditioned = try CodePriorTraining(vqvae: base, labels: [], options: options)
            loaded = try await examples(frontEnd: unconditioned.frontEnd, requiringLabels: conditioned)
            task = conditioned ? try CodePriorTraining(vqvae: base, labels: loaded.labels, options: options) : unconditioned
        case .fusion(let architecture, let encoders):
            let fusion = try FusionTraining(architecture: architecture, encoders: encoders, options: options)
            loaded = try await examples(frontEnd: fusion.frontEnd, requiringLabels: true, labels: fusion.labels)
            task = fusion
        case .diffusion(let settings):
            // The labels name what the captions say, so the data is read before the model is built.
            loaded = try await examples(
                frontEnd: DigitCanvas(frontEnd: DiffusionConfiguration().frontEnd).exampleFrontEnd,
                requiringLabels: true)
            task = try DiffusionTraining(settings: settings, labels: loaded.labels, options: options)
        case .caption(let encoders, let closed):
            // The captions are the data's labels, so the first pass over the data finds the vocabulary.
            let names = try PartEncoders(encoders)
            loaded = try await examples(frontEnd: PairExample.frontEnd(names), requiringLabels: true)
            task = try CaptionTraining(encoders: encoders, captions: loaded.labels, closed: closed, options: options)
        }
        try folder.write(json: task.configuration, to: "config.json")
        for (file, contents) in task.companionFiles { try folder.write(json: contents, to: file) }
        let record = TrainingRecord(
            task: kind.task, architecture: kind.architecture, base: kind.base, data: data, options: options,
            threads: environment.threads,
            examples: .init(
                training: loaded.trainingCount, validation: loaded.validationCount, failed: loaded.failedCount),
            labels: loaded.labels)
        // Written now so a run stopped before its first epoch ends can be resumed: `--resume` reads the settings here.
        try folder.write(json: record, to: "training.json")
        return try await train(
            task, examples: loaded, record: record, folder: path, resuming: false, environment: environment)
    }

    /// Continues the run in `folder` from its checkpoint, with the data and settings it was started with.
    /// - Parameter epochs: A new total of epochs, to train on past the planned end.
    public static func resume(folder path: String, epochs: Int?, environment: Environment) async throws
        -> TrainingRecord
    {
        var record = try RunFolder(path).readRecord()
        if let epochs { record.options.epochs = epochs }
        if environment.threads != record.threads {
            FileHandle.standardError.write(
                Data(
                    "braid: resuming on \(environment.threads) threads a run started on \(record.threads): the weights will not repeat the uninterrupted run's bit for bit\n"
                        .utf8))
        }
        ThreadBudget.setComputeThreads(environment.threads)
        let folder = ModelFolder(name: path, storage: .directory(URL(fileURLWithPath: path, isDirectory: true)))
        let task: any TrainableModel
        var labels: [String]? = record.labels
        var requiringLabels = true
        switch record.task {
        case TrainingKind.classifierTask:
            let classifier = try ClassifierTraining(folder: folder, options: record.options)
            guard classifier.labels == record.labels else {
                throw TrainingError.checkpoint(
                    path: path, problem: "config.json and training.json name different labels")
            }
            task = classifier
        case TrainingKind.generativeTask:
            task = try GenerativeTraining(folder: folder, options: record.options)
            (labels, requiringLabels) = (nil, false)
        case TrainingKind.codePriorTask:
            guard let base = record.base else {
                throw TrainingError.checkpoint(path: path, problem: "training.json does not name the prior's VQ-VAE")
            }
            let prior = try CodePriorTraining(
                folder: folder, vqvae: try ModelLocator.folder(for: base), options: record.options)
            requiringLabels = prior.prior.isConditioned
            if !requiringLabels { labels = nil }
            task = prior
        case TrainingKind.fusionTask:
            task = try FusionTraining(folder: folder, options: record.options)
        case TrainingKind.diffusionTask:
            task = try DiffusionTraining(folder: folder, options: record.options)
        case TrainingKind.captionTask:
            task = try CaptionTraining(folder: folder, captions: record.labels, options: record.options)
        default:
            throw TrainingError.checkpoint(
                path: path, problem: "a '\(record.task)' run, which this Braid does not train")
        }
        let examples = try await load(
            record.data, labels: labels, requiringLabels: requiringLabels, options: record.options,
            environment: environment, frontEnd: task.frontEnd)
        return try await train(
            task, examples: examples, record: record, folder: path, resuming: true, environment: environment)
    }

    private static func load(
        _ data: LabelledData, labels: [String]?, requiringLabels: Bool, options: TrainingOptions,
        environment: Environment,
        frontEnd: @escaping ExampleSet.FrontEnd
    ) async throws -> ExampleSet {
        let progress = ProgressBar(total: nil, quiet: environment.quiet, unit: "items")
        let examples = try await ExampleSet.load(
            data, split: ValidationSplit(fraction: options.validationFraction, seed: options.seed), labels: labels,
            requiringLabels: requiringLabels, cacheBytes: options.cacheMegabytes << 20, decodeJobs: environment.decodeJobs, errors: .standardError(),
            progress: progress, frontEnd: frontEnd)
        if !environment.quiet {
            let storage = examples.isCached ? "kept in memory" : "read again each epoch (over the cache limit)"
            let failed = examples.failedCount > 0 ? ", \(examples.failedCount) failed (see above)" : ""
            let labels = examples.labels.filter { !$0.isEmpty }
            let labelled = labels.isEmpty ? "" : " of \(labels.count) labels"
            note(
                "\(examples.trainingCount) training and \(examples.validationCount) validation examples\(labelled)\(failed), \(storage)"
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

/// What `braid train` trains.
public enum TrainingKind: Sendable {
    case classifier(ClassifierArchitecture)
    /// An autoencoder, a denoising autoencoder, a VAE or a VQ-VAE.
    case generative(GenerativeSettings)
    /// A learned prior over the codes of the VQ-VAE `vqvae` names, conditioned on the data's labels or not.
    case codePrior(vqvae: String, conditioned: Bool)
    /// A fusion classifier over the outputs of two part encoders.
    case fusion(FusionArchitecture, encoders: PartEncoders.Names)
    /// A caption model over the outputs of two part encoders, trained on pairs labelled with their captions;
    /// `closed`, it writes only those captions (``ClosedCaptions``).
    case caption(encoders: PartEncoders.Names, closed: Bool)
    /// A text-to-image diffusion model, trained on labelled images captioned by phrasings of their labels.
    case diffusion(DiffusionSettings)

    static let classifierTask = "classifier"
    static let generativeTask = "generative"
    static let codePriorTask = "code-prior"
    static let fusionTask = "fusion"
    static let captionTask = "caption"
    static let diffusionTask = "diffusion"

    /// `training.json`'s `task`.
    var task: String {
        switch self {
        case .classifier: Self.classifierTask
        case .generative: Self.generativeTask
        case .codePrior: Self.codePriorTask
        case .fusion: Self.fusionTask
        case .caption: Self.captionTask
        case .diffusion: Self.diffusionTask
        }
    }

    /// `training.json`'s `architecture`.
    var architecture: String {
        switch self {
        case .classifier(let architecture): architecture.rawValue
        case .generative(let settings): settings.architecture.rawValue
        case .codePrior: Self.codePriorTask
        case .fusion(let architecture, _): architecture.rawValue
        case .caption: CaptionNetwork.architecture
        case .diffusion: DiffusionConfiguration.architectureName
        }
    }

    var base: String? {
        if case .codePrior(let vqvae, _) = self { return vqvae }
        return nil
    }
}

/// A task `braid train` starts and resumes: besides training, it says what its model folder's `config.json` holds
/// and how a decoded item becomes its example.
public protocol TrainableModel: TrainingTask {
    var configuration: any Encodable & Sendable { get }
    var frontEnd: ExampleSet.FrontEnd { get }
    /// Files besides `config.json` that describe the model, by name (a caption model's `tokenizer.json`).
    var companionFiles: [String: any Encodable & Sendable] { get }
}

extension TrainableModel {
    public var companionFiles: [String: any Encodable & Sendable] { [:] }
}

extension ClassifierTraining: TrainableModel {}
extension GenerativeTraining: TrainableModel {}
extension CodePriorTraining: TrainableModel {}
extension DiffusionTraining: TrainableModel {}
