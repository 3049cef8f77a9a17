import BraidTensor
import Foundation
import XCTest

/// Convolution kernels are built once per geometry and then run on whichever thread asks, as Swift's tasks hop
/// threads. In oneDNN's default mode a kernel's scratch space belongs to the thread that built it; on another
/// thread, the GEMM-based data gradient of a one-channel input (chosen on CPUs without AVX-512) wrote its columns
/// through a null buffer and crashed a VQ-VAE's training. Each check here runs on a thread of its own, so the second
/// runs only kernels the first built.
final class ConvolutionThreadingTests: XCTestCase {
    func testKernelsBuiltOnOneThreadRunOnAnother() {
        // A geometry no other test uses, so that the first thread builds its kernels.
        let image = randomTensor([3, 1, 10, 10], seed: 70)
        let weight = randomTensor([8, 1, 4, 4], seed: 71)
        let bias = randomTensor([8], seed: 72)
        for run in 1...2 {
            let report = onThreadOfItsOwn {
                GradCheck.check([image, weight, bias]) {
                    Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
                }
            }
            XCTAssertTrue(report.passed, "run \(run): \(report)")
        }
    }

    private func onThreadOfItsOwn(_ check: @escaping @Sendable () -> GradCheck.Report) -> GradCheck.Report {
        let box = ReportBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.report = check()
            done.signal()
        }
        thread.start()
        done.wait()
        return box.report!
    }
}

private final class ReportBox: @unchecked Sendable {
    // @unchecked: written by the thread before it signals, read after the wait.
    var report: GradCheck.Report?
}
