import BraidTensor
import XCTest

@testable import Braid

/// The VQ-VAE codebook options against their definitions.
final class CodebookMaintenanceTests: XCTestCase {
    func testDataInitialisationSetsTheCodesOnceFromTheFirstBatch() throws {
        let scope = WeightScope.initializing(seed: 1)
        let quantizer = try VectorQuantizer(
            scope: scope.scope("quantizer"), count: 4, dimension: 2, learnsByGradient: true)
        let maintenance = try CodebookMaintenance(
            settings: .init(initializesFromData: true), quantizer: quantizer, scope: scope.scope("quantizer"))
        let start = quantizer.codebook.scalars
        // Eight outputs of the first batch: codes k take rows 2k, spread over the batch.
        let first = (0..<16).map { Float($0) }
        maintenance.observe(vectors: Tensor(first, shape: [8, 2]), codes: [0, 0, 0, 0, 0, 0, 0, 0])
        maintenance.afterStep()
        XCTAssertNotEqual(quantizer.codebook.scalars, start)
        XCTAssertEqual(quantizer.codebook.scalars, [0, 1, 4, 5, 8, 9, 12, 13])
        // Only once: later batches leave the codes to the gradient.
        maintenance.observe(vectors: Tensor((0..<16).map { -Float($0) }, shape: [8, 2]), codes: [1, 1, 1, 1, 1, 1, 1, 1])
        maintenance.afterStep()
        XCTAssertEqual(quantizer.codebook.scalars, [0, 1, 4, 5, 8, 9, 12, 13])
        XCTAssertEqual(scope.store["quantizer.initialized"]?.scalars, [1], "a checkpoint knows it was done")
    }

    func testOlderSettingsReadWithoutTheOption() throws {
        let settings = try JSONDecoder().decode(
            CodebookMaintenance.Settings.self, from: Data(#"{"ema_decay": 0.99}"#.utf8))
        XCTAssertEqual(settings, .init(emaDecay: 0.99))
        XCTAssertFalse(settings.initializesFromData)
    }
}
