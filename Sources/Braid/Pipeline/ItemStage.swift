import AsyncAlgorithms

extension AsyncSequence where Self: Sendable {
    /// One pipeline stage over item records: transforms each successful value with up to `jobs` concurrent calls,
    /// in order, and passes earlier failures through untouched.
    ///
    /// An error thrown by `transform` becomes an ``ItemFailure`` with the value's id, so the stream goes on.
    /// Back-pressure, ordering and cancellation are those of
    /// ``_Concurrency/AsyncSequence/orderedMap(jobs:bufferSize:_:)``.
    ///
    /// ```swift
    /// let decoded = items.itemStage(jobs: 2, bufferSize: 8, statistics: stats.stage("decode")) { item in
    ///   DecodedItem(item: item, media: try decoder.decode(item))
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - jobs: Transforms allowed to run at once.
    ///   - bufferSize: Finished records allowed to wait for the next stage beyond `jobs`.
    ///   - statistics: Where to record items, busy time and queue depth, if `--stats` asked for them.
    ///   - transform: The work for one value.
    public func itemStage<Value: Identifiable & Sendable, Output: Sendable>(
        jobs: Int,
        bufferSize: Int,
        statistics: StageStatistics? = nil,
        _ transform: @escaping @Sendable (Value) async throws -> Output
    ) -> AsyncOrderedMapSequence<Self, Result<Output, ItemFailure>>
    where Element == Result<Value, ItemFailure>, Value.ID == String {
        orderedMap(jobs: jobs, bufferSize: bufferSize) { record in
            let start = statistics?.started()
            defer { if let start { statistics?.finished(startedAt: start) } }
            switch record {
            case .failure(let failure):
                return .failure(failure)
            case .success(let value):
                do {
                    return .success(try await transform(value))
                } catch {
                    return .failure(ItemFailure(id: value.id, error: error))
                }
            }
        }
    }

    /// A pipeline stage that hands successful values to `transform` in batches of up to `batchSize`, for encoders
    /// that run one forward pass per batch; records come out one by one, in order.
    ///
    /// A batch waits until `batchSize` records arrived, upstream ended, or `closingSignal` fired (partial batches of
    /// a stalled stream: ``InputStall``). If `transform` throws for a batch, or
    /// returns a different number of outputs, each of its values is retried alone, so only the bad ones fail.
    /// `jobs` and `bufferSize` count batches.
    ///
    /// - Parameters:
    ///   - batchSize: Records per batch (at least 1).
    ///   - jobs: Batches transformed at once.
    ///   - bufferSize: Finished batches allowed to wait for the next stage beyond `jobs`.
    ///   - statistics: Where to record items, busy time and queue depth.
    ///   - closingSignal: Closes the batch being formed, if it holds any record; nil for never.
    ///   - transform: The work for one batch: one output per value, in order.
    public func batchedItemStage<Value: Identifiable & Sendable, Output: Sendable>(
        batchSize: Int,
        jobs: Int,
        bufferSize: Int,
        statistics: StageStatistics? = nil,
        closingSignal: AsyncStream<Void>? = nil,
        _ transform: @escaping @Sendable ([Value]) async throws -> [Output]
    ) -> some AsyncSequence<Result<Output, ItemFailure>, any Error> & Sendable
    where Element == Result<Value, ItemFailure>, Value.ID == String {
        // A stream that ends at once never closes a batch early.
        chunks(ofCount: batchSize, or: closingSignal ?? AsyncStream { _ in })
            .orderedMap(jobs: jobs, bufferSize: bufferSize) { records in
                let start = statistics?.started(count: records.count)
                defer { if let start { statistics?.finished(count: records.count, startedAt: start) } }
                return await transformBatch(records, transform)
            }
            .flatMap { $0.async }
    }
}

/// Runs `transform` once over the successes of `records` and merges the outputs back in place; falls back to one
/// call per value when the batch call fails as a whole.
private func transformBatch<Value: Identifiable & Sendable, Output: Sendable>(
    _ records: [Result<Value, ItemFailure>],
    _ transform: @Sendable ([Value]) async throws -> [Output]
) async -> [Result<Output, ItemFailure>] where Value.ID == String {
    let values = records.compactMap { try? $0.get() }
    if values.isEmpty {
        // Only failures: nothing to transform, and no point calling the encoder with an empty batch.
        return records.compactMap { record in
            guard case .failure(let failure) = record else { return nil }
            return .failure(failure)
        }
    }
    if let outputs = try? await transform(values), outputs.count == values.count {
        var position = outputs.startIndex
        return records.map { record in
            record.map { _ in
                defer { position += 1 }
                return outputs[position]
            }
        }
    }
    var results: [Result<Output, ItemFailure>] = []
    for record in records {
        switch record {
        case .failure(let failure):
            results.append(.failure(failure))
        case .success(let value):
            do {
                let outputs = try await transform([value])
                guard let output = outputs.first, outputs.count == 1 else {
                    throw BatchMismatch(expected: 1, got: outputs.count)
                }
                results.append(.success(output))
            } catch {
                results.append(.failure(ItemFailure(id: value.id, error: error)))
            }
        }
    }
    return results
}

/// A batch transform returned a different number of outputs than it was given values.
struct BatchMismatch: Error, CustomStringConvertible {
    let expected: Int
    let got: Int
    var description: String { "batch transform returned \(got) outputs for \(expected) inputs" }
}
