import BraidTensor
import Foundation

/// The one training loop every Braid model trains with: seeded shuffling, mini-batches built a batch ahead (with
/// augmentation) while the current one trains, AdamW with warm-up and cosine decay, gradient clipping, a validation
/// pass after every epoch that keeps the best weights, and a resumable checkpoint.
///
/// ```
///  ExampleSet ─▶ epoch order (seed, epoch) ─▶ batch + augment (seed, epoch, batch) ─[1]─▶ step ─▶ validation ─▶ RunFolder
/// ```
///
/// Everything random derives from the seed and a position (epoch, batch, step), never from what ran before, so a run
/// stopped at any checkpoint and resumed computes exactly what the uninterrupted run would have: the same weights,
/// bit for bit, on the same number of threads.
public final class TrainingLoop<Model: TrainingTask> {
    public struct Reporting {
        /// The bar over all epochs' examples; nil draws nothing.
        public var progress: ProgressBar?
        /// Receives one line per finished epoch (stderr, unless quiet).
        public var epochSummary: (@Sendable (String) -> Void)?
        /// `--log FILE`: one JSON object per epoch.
        public var log: JSONLWriter?

        public init(
            progress: ProgressBar? = nil, epochSummary: (@Sendable (String) -> Void)? = nil, log: JSONLWriter? = nil
        ) {
            self.progress = progress
            self.epochSummary = epochSummary
            self.log = log
        }
    }

    let task: Model
    let data: ExampleSet
    let options: TrainingOptions
    let folder: RunFolder
    let reporting: Reporting
    private let optimizer: Adam
    private let schedule: WarmupCosineSchedule
    private let stepsPerEpoch: Int

    /// - Parameters:
    ///   - task: The model to train.
    ///   - data: Its examples (``ExampleSet/load(_:split:labels:cacheBytes:decodeJobs:errors:progress:frontEnd:)``).
    ///   - folder: Where the model and the checkpoint go.
    public init(task: Model, data: ExampleSet, options: TrainingOptions, folder: String, reporting: Reporting) throws {
        self.task = task
        self.data = data
        self.options = options
        self.folder = try RunFolder(folder)
        self.reporting = reporting
        stepsPerEpoch = data.trainingCount / options.batchSize
        guard stepsPerEpoch > 0 else {
            throw TrainingError.noExamples(failed: data.failedCount)
        }
        let parameters = task.store.parameters
        // Decay the weights of linear and convolution layers; not biases and norm parameters (rank 1).
        optimizer = Adam.adamW(
            parameters: parameters, learningRate: options.learningRate, weightDecay: options.weightDecay,
            decays: parameters.map { $0.rank >= 2 })
        schedule = WarmupCosineSchedule(
            peak: options.learningRate, warmupSteps: Int((options.warmupEpochs * Double(stepsPerEpoch)).rounded()),
            totalSteps: options.epochs * stepsPerEpoch)
    }

    /// Trains from the start, or from the folder's checkpoint when `resuming`.
    /// - Parameter record: The run's record so far (a fresh one, or read from the folder when resuming).
    /// - Returns: The final record, also written as `training.json`.
    public func run(record: TrainingRecord, resuming: Bool) async throws -> TrainingRecord {
        var position = RunFolder.Position(epoch: 0, batch: 0, partial: Metrics(), record: record)
        if resuming { position = try folder.readCheckpoint(store: task.store, optimizer: optimizer) }
        reporting.progress?.advance(by: (position.epoch * stepsPerEpoch + position.batch) * options.batchSize)
        while position.epoch < options.epochs {
            position = try await trainEpoch(from: position)
        }
        reporting.progress?.finish()
        return position.record
    }

    /// Runs the rest of one epoch and its validation; returns the position at the start of the next.
    private func trainEpoch(from start: RunFolder.Position) async throws -> RunFolder.Position {
        var position = start
        let epoch = position.epoch
        let clock = ContinuousClock.now
        let batches = data.trainingBatches(
            epoch: epoch, batchSize: options.batchSize, seed: options.seed, skipping: position.batch)
        try await forEachPrepared(batches, augment: options.augment, epoch: epoch) { index, batch in
            // Stopping (Ctrl-C) waits for the step in progress; the last checkpoint stays the place to resume from.
            try Task.checkCancellation()
            let step = epoch * stepsPerEpoch + index
            optimizer.learningRate = schedule.rate(atStep: step)
            optimizer.zeroGradients()
            var rng = SeededRNG(seed: SeededRNG.derivedSeed(options.seed, 0x64_726F_706F_7574, UInt64(step)))
            let (loss, metrics) = task.loss(batch, training: true, rng: &rng)
            guard loss.item.isFinite else { throw TrainingError.diverged(epoch: epoch, step: index) }
            loss.backward()
            if options.clipNorm > 0 { clipGradientNorm(optimizer.parameters, maxNorm: options.clipNorm) }
            optimizer.step()
            task.afterStep()
            position.partial.add(metrics)
            position.batch = index + 1
            reporting.progress?.advance(by: options.batchSize, detail: progressDetail(epoch, index, position.partial))
            if options.checkpointSteps > 0, (step + 1) % options.checkpointSteps == 0, index + 1 < stepsPerEpoch {
                try folder.writeCheckpoint(position, store: task.store, optimizer: optimizer)
            }
        }
        let validation = try await validate()
        let seconds = (ContinuousClock.now - clock).seconds
        let examples = Double((stepsPerEpoch - start.batch) * options.batchSize)
        let report = EpochReport(
            epoch: epoch + 1, training: position.partial.means, validation: validation.means,
            learningRate: optimizer.learningRate, seconds: seconds, examplesPerSecond: examples / seconds)
        position.record.history.append(report)
        if isBetter(report, than: position.record.best) {
            position.record.best = report
            try folder.writeModel(task.modelTensors, record: position.record)
        } else {
            try folder.write(json: position.record, to: "training.json")
        }
        position = RunFolder.Position(epoch: epoch + 1, batch: 0, partial: Metrics(), record: position.record)
        try folder.writeCheckpoint(position, store: task.store, optimizer: optimizer)
        try reporting.log?.write(EpochLogLine(report: report))
        reporting.epochSummary?(summary(report))
        return position
    }

    /// The figures over the validation examples; none when the split holds none out (`--validation 0`), and the
    /// last epoch then counts as the best.
    private func validate() async throws -> Metrics {
        var metrics = Metrics()
        try await forEachPrepared(data.validationBatches(batchSize: options.batchSize), augment: false, epoch: 0) {
            _, batch in
            var rng = SeededRNG(seed: 0)
            metrics.add(withNoGrad { task.loss(batch, training: false, rng: &rng) }.metrics)
        }
        return metrics
    }

    /// Builds each batch on another task, one batch ahead of `body`, then hands it over in order.
    private func forEachPrepared<Batches: AsyncSequence & Sendable>(
        _ batches: Batches, augment: Bool, epoch: Int, _ body: (Int, Model.Batch) async throws -> Void
    ) async throws where Batches.Element == ExampleBatch {
        let (task, seed) = (task, options.seed)
        let prepared = batches.orderedMap(jobs: 1, bufferSize: 1) { batch in
            let batchSeed = SeededRNG.derivedSeed(seed, 0x6175_676D_656E_74, UInt64(epoch), UInt64(batch.index))
            return (batch.index, Result { try task.batch(batch.examples, augment: augment, seed: batchSeed) })
        }
        for try await (index, batch) in prepared { try await body(index, try batch.get()) }
        // A cancelled task's sequence ends early rather than throwing: an epoch cut short must not count as done.
        try Task.checkCancellation()
    }

    private func isBetter(_ report: EpochReport, than best: EpochReport?) -> Bool {
        guard let best, data.validationCount > 0 else { return true }
        let (metric, higherIsBetter) = task.selection
        let (new, old) = (report.validation[metric] ?? 0, best.validation[metric] ?? 0)
        return higherIsBetter ? new > old : new < old
    }

    /// `epoch 3/15  step 120/421  loss 0.1234 accuracy 97.12%`.
    private func progressDetail(_ epoch: Int, _ step: Int, _ metrics: Metrics) -> String {
        "epoch \(epoch + 1)/\(options.epochs)  step \(step + 1)/\(stepsPerEpoch)  " + Self.figures(metrics.means)
    }

    private func summary(_ report: EpochReport) -> String {
        "epoch \(report.epoch)/\(options.epochs): training " + Self.figures(report.training) + " | validation "
            + Self.figures(report.validation)
            + String(format: " | %.0f examples/s, %.1f s", report.examplesPerSecond, report.seconds)
    }

    /// `loss 0.1234 accuracy 98.12%`.
    private static func figures(_ means: [String: Double]) -> String {
        means.sorted { $0.key > $1.key }.map { name, value in
            name == "accuracy" ? String(format: "accuracy %.2f%%", 100 * value) : String(format: "\(name) %.4f", value)
        }.joined(separator: " ")
    }
}

/// One line of `--log`: `{"epoch","training":{…},"validation":{…},"learning_rate","seconds","examples_per_second"}`.
struct EpochLogLine: OutputLine {
    let report: EpochReport

    var jsonLine: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(report)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }
}
