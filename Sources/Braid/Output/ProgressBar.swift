import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-line progress display on stderr: items done (of the total, when known), rate and time left.
///
/// Drawn only when stderr is a terminal and the user did not ask for quiet, so logs and pipes get no control
/// characters; redrawn at most every 100 ms however fast items finish. Safe to advance from several tasks.
public final class ProgressBar: Sendable {
    private struct State {
        var done = 0
        var detail = ""
        var lastDraw: ContinuousClock.Instant?
    }

    private static let redrawInterval = Duration.milliseconds(100)

    private let total: Int?
    /// What is counted: `items`, `examples`.
    private let unit: String
    private let started = ContinuousClock.now
    private let state = Mutex(State())
    /// Receives each frame; `nil` when the bar is off.
    private let draw: (@Sendable (String) -> Void)?

    /// A bar on stderr, on when stderr is a terminal and `quiet` is false.
    ///
    /// - Parameters:
    ///   - total: The number of items, when the input knows it in advance.
    ///   - quiet: `--quiet`: never draw.
    ///   - unit: What is counted, as the rate shows it.
    public convenience init(total: Int?, quiet: Bool, unit: String = "items") {
        let enabled = !quiet && isatty(STDERR_FILENO) == 1
        self.init(total: total, unit: unit, draw: enabled ? ProgressBar.writeToStandardError : nil)
    }

    /// A bar that hands its frames to `draw` (tests), or draws nothing when `draw` is `nil`.
    init(total: Int?, unit: String = "items", draw: (@Sendable (String) -> Void)?) {
        self.total = total
        self.unit = unit
        self.draw = draw
    }

    /// Whether frames are drawn at all.
    var isDrawing: Bool { draw != nil }

    /// Counts `count` more items done and redraws if the last frame is at least 100 ms old.
    /// - Parameter detail: Replaces the text shown after the counts (a training run's epoch and loss).
    public func advance(by count: Int = 1, detail: String? = nil) {
        guard let draw else { return }
        let now = ContinuousClock.now
        let frame: String? = state.withLock { state in
            state.done += count
            if let detail { state.detail = detail }
            if let last = state.lastDraw, now - last < Self.redrawInterval { return nil }
            state.lastDraw = now
            return "\r" + render(state, elapsed: now - started) + "\u{1B}[K"
        }
        if let frame { draw(frame) }
    }

    /// Draws the final count and ends the line, so later stderr output starts on a fresh line.
    public func finish() {
        guard let draw else { return }
        let current = state.withLock { $0 }
        draw("\r" + render(current, elapsed: ContinuousClock.now - started) + "\u{1B}[K\n")
    }

    /// Writes a line of its own above the bar (an epoch's summary), which the next frame redraws below.
    public func note(_ line: String) {
        guard let draw else { return }
        draw("\r" + line + "\u{1B}[K\n")
    }

    private func render(_ state: State, elapsed: Duration) -> String {
        let counts = Self.render(done: state.done, total: total, elapsed: elapsed, unit: unit)
        return state.detail.isEmpty ? counts : counts + "  " + state.detail
    }

    /// One frame's text, e.g. `[######------------------]  250/1000  25%  50.0 items/s  ETA 0:15`.
    static func render(done: Int, total: Int?, elapsed: Duration, unit: String = "items") -> String {
        let seconds = elapsed.seconds
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let rateText = "\(fixed(rate)) \(unit)/s"
        guard let total, total > 0 else {
            return "\(done) \(unit)  \(rateText)  \(clock(seconds)) elapsed"
        }
        let fraction = min(1, Double(done) / Double(total))
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        let eta = rate > 0 ? clock(Double(max(0, total - done)) / rate) : "--:--"
        return "\(bar)  \(done)/\(total)  \(Int(fraction * 100))%  \(rateText)  ETA \(eta)"
    }

    /// `m:ss`, or `h:mm:ss` from an hour on.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        let paddedSeconds = secs < 10 ? "0\(secs)" : "\(secs)"
        if hours > 0 { return "\(hours):\(minutes < 10 ? "0" : "")\(minutes):\(paddedSeconds)" }
        return "\(minutes):\(paddedSeconds)"
    }

    /// One decimal place.
    private static func fixed(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static let writeToStandardError: @Sendable (String) -> Void = { frame in
        var bytes = Array(frame.utf8)
        _ = write(STDERR_FILENO, &bytes, bytes.count)
    }
}
