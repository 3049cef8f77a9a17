import Braid
import XCTest

final class ItemTests: XCTestCase {
    func test_mono_averages_channels() {
        let stereo = Audio(sampleRate: 8000, channels: 2, samples: [1, 0, 0.5, -0.5])
        XCTAssertEqual(stereo.mono().samples, [0.5, 0])
    }
}
