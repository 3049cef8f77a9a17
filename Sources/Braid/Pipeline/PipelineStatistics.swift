import Foundation
import Synchronization

/// Per-stage counters for `--stats`: items, busy time, throughput and the mean queue in front of each stage.
///
/// Stages are declared in flow order. Each element that stage *k* finishes joins the queue in front of stage
/// *k + 1* until that stage starts it, so the queue depth is measured where it lives: between two stages, whichever
/// buffer holds the element. The depth is averaged over time (a queue of 4 for half the run and 0 for the other
/// half has mean 2), from the moment the statistics are created.
public final class PipelineStatistics: Sendable {
    /// One stage's figures at the time of ``report()``.
    public struct StageReport: Sendable, Equatable {
        public let name: String
        /// Elements the stage finished (passed-through failures included).
        public let items: Int
        /// Time spent inside the stage's work, summed over its concurrent jobs (so it can exceed the wall time).
        public let busy: Duration
        /// Items per second of wall time between the stage's first start and its last finish.
        public let itemsPerSecond: Double
        /// Time-weighted mean number of elements waiting in front of the stage.
        public let meanQueueDepth: Double
    }

    private struct Counters {
        var items = 0
        var busy = Duration.zero
        var firstStart: ContinuousClock.Instant?
        var lastFinish: ContinuousClock.Instant?
        var queueDepth = 0
        var queueArea: Double = 0
        var queueChanged: ContinuousClock.Instant

        mutating func changeQueue(by delta: Int, at now: ContinuousClock.Instant) {
            queueArea += Double(queueDepth) * (now - queueChanged).seconds
            queueDepth += delta
            queueChanged = now
        }
    }

    private let names: [String]
    private let created: ContinuousClock.Instant
    private let counters: Mutex<[Counters]>

    /// - Parameter stageNames: The stages in flow order, e.g. `["input", "decode", "encode", "output"]`.
    public init(stageNames: [String]) {
        let now = ContinuousClock.now
        self.names = stageNames
        self.created = now
        self.counters = Mutex(Array(repeating: Counters(queueChanged: now), count: stageNames.count))
    }

    /// The recorder for stage `name`, one of the names given at creation.
    public func stage(_ name: String) -> StageStatistics {
        guard let index = names.firstIndex(of: name) else {
            preconditionFailure("No stage named \(name) in \(names)")
        }
        return StageStatistics(pipeline: self, index: index)
    }

    fileprivate func started(_ index: Int, count: Int, at now: ContinuousClock.Instant) {
        counters.withLock { counters in
            if counters[index].firstStart == nil { counters[index].firstStart = now }
            if index > 0 { counters[index].changeQueue(by: -count, at: now) }
        }
    }

    fileprivate func finished(_ index: Int, count: Int, busy: Duration, at now: ContinuousClock.Instant) {
        counters.withLock { counters in
            counters[index].items += count
            counters[index].busy += busy
            counters[index].lastFinish = now
            if index + 1 < counters.count { counters[index + 1].changeQueue(by: count, at: now) }
        }
    }

    /// Every stage's figures so far, in flow order.
    public func report() -> [StageReport] {
        let now = ContinuousClock.now
        let elapsed = (now - created).seconds
        return counters.withLock { counters in
            zip(names, counters).map { name, stage in
                var active = 0.0
                if let firstStart = stage.firstStart, let lastFinish = stage.lastFinish {
                    active = (lastFinish - firstStart).seconds
                }
                let area = stage.queueArea + Double(stage.queueDepth) * (now - stage.queueChanged).seconds
                return StageReport(
                    name: name, items: stage.items, busy: stage.busy,
                    itemsPerSecond: active > 0 ? Double(stage.items) / active : 0,
                    meanQueueDepth: elapsed > 0 ? area / elapsed : 0)
            }
        }
    }

    /// ``report()`` as an aligned table for stderr.
    public func formattedReport() -> String {
        let lines = report().map { stage in
            stage.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(
                    format: " %8d %10.3f %10.1f %11.2f", stage.items, stage.busy.seconds, stage.itemsPerSecond,
                    stage.meanQueueDepth)
        }
        return (["stage         items     busy s    items/s  mean queue"] + lines).joined(separator: "\n")
    }
}

/// Records the work of one stage into its ``PipelineStatistics``.
public struct StageStatistics: Sendable {
    fileprivate let pipeline: PipelineStatistics
    fileprivate let index: Int

    /// `count` elements left the queue in front of the stage and their work begins; pass the result to `finished`.
    public func started(count: Int = 1) -> ContinuousClock.Instant {
        started(count: count, at: .now)
    }

    /// Like ``started(count:)``, for work that began at `start`.
    func started(count: Int = 1, at start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        pipeline.started(index, count: count, at: start)
        return start
    }

    /// `count` elements whose work began at `start` are done and join the next stage's queue.
    public func finished(count: Int = 1, startedAt start: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        pipeline.finished(index, count: count, busy: now - start, at: now)
    }

    /// Runs `work` for one element between `started()` and `finished(startedAt:)`.
    public func measure<Result>(_ work: () async throws -> Result) async rethrows -> Result {
        let start = started()
        defer { finished(startedAt: start) }
        return try await work()
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
