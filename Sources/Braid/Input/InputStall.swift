#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Whether standard input is blocked waiting for bytes that have not arrived.
///
/// A long-lived `braid` fed records one batch at a time (a Spark partition's or a Ray actor's feeder) sends some
/// records, then waits for their lines before it sends more. A batch that waited for `--batch-size` records would
/// never form, and both sides would wait for ever; while input stalls, the batching stages close their partial
/// batches instead (``ticks(every:)``). A file, or a stream that keeps flowing, never stalls, so its batches stay
/// whole.
public final class InputStall: Sendable {
    public static let standardInput = InputStall()

    private let waiting = Atomic<Bool>(false)

    /// Whether a read is blocked right now.
    public var isWaiting: Bool { waiting.load(ordering: .acquiring) }

    /// Runs `read` on `descriptor`, marked as waiting for as long as it blocks: only when nothing is readable yet.
    func reading<Result>(_ descriptor: Int32, _ read: () -> Result) -> Result {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, 0) == 0 else { return read() }
        waiting.store(true, ordering: .releasing)
        defer { waiting.store(false, ordering: .releasing) }
        return read()
    }

    /// A signal every `interval` during which input is waiting: what closes a partial batch. Each batching stage
    /// takes its own, which ends when the stage stops listening.
    public func ticks(every interval: Duration) -> AsyncStream<Void> {
        AsyncStream { continuation in
            let ticking = Task { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if isWaiting { continuation.yield() }
                }
            }
            continuation.onTermination = { _ in ticking.cancel() }
        }
    }
}

extension ItemSource.Origin {
    /// Whether items are read one after another from standard input, which may stall between them.
    public var streamsStandardInput: Bool {
        switch self {
        case .pathList(let file), .tar(let file), .lines(let file), .records(let file): file == "-"
        case .paths, .idx, .parts: false
        }
    }
}
