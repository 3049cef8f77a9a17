import Synchronization
import XCTest

@testable import Braid

final class ProgressBarTests: XCTestCase {
    func test_given_a_known_total_then_the_frame_shows_bar_count_rate_and_time_left() {
        XCTAssertEqual(
            ProgressBar.render(done: 250, total: 1000, elapsed: .seconds(5)),
            "[######------------------]  250/1000  25%  50.0 items/s  ETA 0:15")
        XCTAssertEqual(
            ProgressBar.render(done: 1, total: 10_000, elapsed: .seconds(2)),
            "[------------------------]  1/10000  0%  0.5 items/s  ETA 5:33:18")
        XCTAssertEqual(
            ProgressBar.render(done: 0, total: 3, elapsed: .zero),
            "[------------------------]  0/3  0%  0.0 items/s  ETA --:--")
    }

    func test_given_no_total_then_the_frame_shows_count_rate_and_elapsed_time() {
        XCTAssertEqual(
            ProgressBar.render(done: 42, total: nil, elapsed: .seconds(84)), "42 items  0.5 items/s  1:24 elapsed")
    }

    func test_given_many_quick_items_then_frames_are_drawn_at_most_ten_times_a_second() {
        let frames = Mutex<[String]>([])
        let start = ContinuousClock.now
        let bar = ProgressBar(total: 100_000, draw: { frame in frames.withLock { $0.append(frame) } })
        for _ in 0..<100_000 { bar.advance() }
        let elapsed = ContinuousClock.now - start
        let drawn = frames.withLock { $0.count }
        XCTAssertGreaterThanOrEqual(drawn, 1)
        XCTAssertLessThanOrEqual(drawn, Int(elapsed / .milliseconds(100)) + 1)

        bar.finish()
        let last = frames.withLock { $0.last ?? "" }
        XCTAssertTrue(last.contains("100000/100000  100%"), last)
        XCTAssertTrue(last.hasSuffix("\n"))
    }

    func test_given_quiet_then_the_bar_is_off_even_on_a_terminal() {
        XCTAssertFalse(ProgressBar(total: 10, quiet: true).isDrawing)
        XCTAssertEqual(ProgressBar(total: 10, quiet: false).isDrawing, isatty(STDERR_FILENO) == 1)
    }
}
