/// The end of an embedding pipeline: records go to the JSONL output, failures to the error stream as
/// `{"id","error"}` lines, and every element advances the progress bar and the output stage's statistics.
///
/// When the reader of the output goes away (EPIPE), draining stops and returns normally with
/// ``Summary/consumerGone`` set: leaving the loop drops the upstream iterators, which cancels every stage's
/// running work (see ``_Concurrency/AsyncSequence/orderedMap(jobs:bufferSize:_:)``). The caller then exits
/// with success, as `head` expects of a producer it closed on.
public struct EmbeddingSink: Sendable {
    /// What a run produced.
    public struct Summary: Sendable, Equatable {
        /// Records written to the output.
        public var written = 0
        /// Failures written to the error stream.
        public var failed = 0
        /// The output's reader closed before the end.
        public var consumerGone = false
    }

    let output: JSONLWriter
    let errors: JSONLWriter
    let store: (any EmbeddingStore)?
    let progress: ProgressBar?
    let statistics: StageStatistics?

    /// - Parameters:
    ///   - output: Where records go: ``JSONLWriter/standardOutput()`` or a file opened for appending.
    ///   - errors: Where failures go, usually ``JSONLWriter/standardError()``.
    ///   - store: Where embeddings go instead of `output`, when set (`--db`, `--npy`).
    ///   - progress: The bar to advance per element, if any.
    ///   - statistics: The output stage's recorder, for `--stats`.
    public init(
        output: JSONLWriter, errors: JSONLWriter, store: (any EmbeddingStore)? = nil, progress: ProgressBar? = nil,
        statistics: StageStatistics? = nil
    ) {
        self.output = output
        self.errors = errors
        self.store = store
        self.progress = progress
        self.statistics = statistics
    }

    /// Writes every element of `records`, in order.
    ///
    /// - Throws: Upstream errors (an ``InputError`` for a broken input) and ``OutputError/cannotWrite(file:problem:)``
    ///   when the output fails for another reason than its reader leaving.
    public func drain<Records: AsyncSequence, Line: OutputLine>(_ records: Records) async throws -> Summary
    where Records.Element == Result<Line, ItemFailure> {
        var summary = Summary()
        defer { progress?.finish() }
        for try await record in records {
            let start = statistics?.started()
            defer {
                if let start { statistics?.finished(startedAt: start) }
                progress?.advance()
            }
            do {
                switch record {
                case .success(let embedding):
                    if let store, let record = embedding.embeddingRecord {
                        try store.write(record)
                    } else {
                        try output.write(embedding)
                    }
                    summary.written += 1
                case .failure(let failure):
                    summary.failed += 1
                    try writeFailure(failure)
                }
            } catch .consumerGone {
                summary.consumerGone = true
                return summary
            }
        }
        return summary
    }

    /// Failures are diagnostics: when stderr's reader is gone there is nobody to tell, so the run goes on.
    private func writeFailure(_ failure: ItemFailure) throws(OutputError) {
        do {
            try errors.write(failure)
        } catch .consumerGone {
            return
        }
    }
}

extension EmbeddingRecord: Identifiable {}
