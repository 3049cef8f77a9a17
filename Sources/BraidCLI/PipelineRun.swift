import ArgumentParser
import Braid
import Dispatch
import Foundation
import Synchronization

/// What `embed` and `run` share once their flags or file became an ``EmbedJob``: the writers, the progress
/// bar, `--stats`, signal handling and the exit code.
enum PipelineRun {
    static func execute(_ job: EmbedJob, context: EncoderContext, output options: OutputOptions) async throws {
        try await execute(output: options) {
            try EmbedPipeline(job: job, registry: .withModels(context), context: context)
        }
    }

    /// Runs the pipeline `makePipeline` builds (before any output is opened, so a model that will not load leaves
    /// no file behind).
    static func execute(output options: OutputOptions, makePipeline: () throws -> EmbedPipeline) async throws {
        let pipeline: EmbedPipeline
        let output: JSONLWriter
        let store: (any EmbeddingStore)?
        do {
            pipeline = try makePipeline()
            store = try openStore(pipeline)
            let destination = options.resume ?? options.output
            output =
                try destination.map { path throws(OutputError) in try JSONLWriter(appendingTo: path) }
                ?? .standardOutput()
            if options.output != nil, let path = options.output { try truncate(path) }
        } catch {
            Diagnostics.report(error)
            throw ExitCode.failure
        }
        let statistics = options.stats ? PipelineStatistics(stageNames: pipeline.stageNames) : nil
        let progress = ProgressBar(total: nil, quiet: options.quiet)
        let work = Task {
            try await pipeline.run(
                output: output, errors: options.errors == .inline ? output : .standardError(), store: store,
                statistics: statistics, progress: progress)
        }
        let interruption = SignalWatch(cancelling: work)
        defer { interruption.stop() }
        let summary: EmbedPipeline.Summary
        do {
            summary = try await work.value
            // Makes the last rows durable whatever happened; prunes only after a whole run.
            let counts = try store?.finish(complete: interruption.received == nil)
            if let counts, options.stats {
                Diagnostics.warn(
                    "store: \(counts.added) added, \(counts.updated) updated, \(summary.skipped) skipped as stored, \(counts.pruned) pruned"
                )
            }
        } catch {
            _ = try? store?.finish(complete: false)
            Diagnostics.report(error)
            throw ExitCode.failure
        }
        let written = summary.output
        // The reader went away (`| head -1`): what it wanted was delivered.
        if written.consumerGone { return }
        if let statistics { FileHandle.standardError.write(Data((statistics.formattedReport() + "\n").utf8)) }
        if let signal = interruption.received {
            let rerun = store == nil ? "'--resume'" : "a rerun with the same store"
            Diagnostics.warn("interrupted: \(written.written) items written, the rest left for \(rerun)")
            throw ExitCode(128 + signal)
        }
        if written.failed > 0 {
            let lines = options.errors == .inline ? "their error lines are in the output" : "see the error lines above"
            Diagnostics.warn("\(written.failed) of \(written.failed + written.written) items failed (\(lines))")
            // Inline, a failed item is an answer like any other: the run did its job.
            if options.errors == .stderr { throw ExitCode.failure }
        }
    }

    /// The store `--db` or `--npy` names, checked against the run's encoders before any item.
    private static func openStore(_ pipeline: EmbedPipeline) throws -> (any EmbeddingStore)? {
        let job = pipeline.job
        guard job.database != nil || job.numpy != nil else { return nil }
        guard pipeline.writesEmbeddings else {
            throw ValidationError(
                "'--db' and '--npy' store embeddings; this run writes classes, captions, images or fused vectors.")
        }
        if let spec = job.database {
            return try EmbeddingDatabase(
                path: spec.path, collection: spec.collection, encoders: Array(pipeline.encoderNames.values),
                batchSize: job.batchSize, pruneMissingFiles: spec.prune)
        }
        guard let spec = job.numpy else { return nil }
        return try NumPyShards(folder: spec.folder, shardSize: spec.shardSize, dimensions: pipeline.encoderDimensions())
    }

    /// `--output FILE` starts FILE afresh; only `--resume` appends.
    private static func truncate(_ path: String) throws {
        guard Foundation.truncate(path, 0) == 0 else {
            throw OutputError.cannotWrite(file: path, problem: String(cString: strerror(errno)))
        }
    }
}

/// Turns SIGINT and SIGTERM into cancellation of the pipeline task: the stages stop taking new items, every
/// line already written stays whole, and the command exits with 128 + the signal number.
final class SignalWatch {
    private final class FirstSignal: Sendable {
        let number = Mutex<Int32?>(nil)
    }

    private let sources: [any DispatchSourceSignal]
    private let first = FirstSignal()

    init<Success, Failure>(cancelling task: Task<Success, Failure>) {
        let first = first
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                first.number.withLock { $0 = $0 ?? number }
                task.cancel()
            }
            source.resume()
            return source
        }
    }

    var received: Int32? { first.number.withLock { $0 } }

    func stop() {
        for source in sources { source.cancel() }
    }
}
