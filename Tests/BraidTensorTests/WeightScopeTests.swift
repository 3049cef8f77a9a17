import BraidTensor
import Foundation
import XCTest

/// A tiny model in the shape later models take: a Codable configuration whose keys are
/// `config.json`'s, and parameters created through nested scopes.
private struct TinyEncoder: PretrainedModel {
    struct Configuration: Codable, Equatable {
        let hiddenSize: Int
        let numLayers: Int

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size"
            case numLayers = "num_layers"
        }
    }

    let layers: [Linear]
    let norm: LayerNorm

    init(configuration: Configuration, scope: WeightScope) throws {
        layers = try (0..<configuration.numLayers).map { index in
            try Linear(
                scope: scope.scope("encoder").scope("layer.\(index)").scope("dense"),
                inFeatures: configuration.hiddenSize, outFeatures: configuration.hiddenSize)
        }
        norm = try LayerNorm(scope: scope.scope("encoder").scope("LayerNorm"), dimension: configuration.hiddenSize)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        norm(layers.reduce(x) { $1($0, activation: .gelu) })
    }
}

final class WeightScopeTests: XCTestCase {
    func testParameterNamesAreCheckpointKeys() throws {
        let scope = WeightScope.initializing(seed: 1)
        _ = try TinyEncoder(configuration: .init(hiddenSize: 4, numLayers: 2), scope: scope)
        XCTAssertEqual(
            scope.store.names,
            [
                "encoder.layer.0.dense.weight", "encoder.layer.0.dense.bias",
                "encoder.layer.1.dense.weight", "encoder.layer.1.dense.bias",
                "encoder.LayerNorm.weight", "encoder.LayerNorm.bias",
            ])
        XCTAssertEqual(scope.store.scalarCount, 2 * (16 + 4) + 8)
    }

    func testSameSeedGivesIdenticalParameters() throws {
        let first = WeightScope.initializing(seed: 9)
        let second = WeightScope.initializing(seed: 9)
        let third = WeightScope.initializing(seed: 10)
        for scope in [first, second, third] {
            _ = try TinyEncoder(configuration: .init(hiddenSize: 3, numLayers: 1), scope: scope)
        }
        XCTAssertEqual(first.store.parameters.flatMap(\.scalars), second.store.parameters.flatMap(\.scalars))
        XCTAssertNotEqual(first.store.parameters.flatMap(\.scalars), third.store.parameters.flatMap(\.scalars))
    }

    func testFolderRoundTripIsAOneLiner() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-folder-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = TinyEncoder.Configuration(hiddenSize: 5, numLayers: 2)
        let scope = WeightScope.initializing(seed: 3)
        let trained = try TinyEncoder(configuration: configuration, scope: scope)
        try TinyEncoder.save(configuration: configuration, parameters: scope.store, toFolder: folder)

        let loaded = try TinyEncoder.load(fromFolder: folder)

        let x = randomTensor([2, 5], seed: 4)
        let (expected, actual) = withNoGrad { (trained(x), loaded(x)) }
        XCTAssertEqual(actual.scalars, expected.scalars)
        let config = try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("\"hidden_size\""))
    }

    func testBadConfigurationNamesTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("{\"hidden_size\": 4}".utf8).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try TinyEncoder.load(fromFolder: folder)) { error in
            guard case .badConfiguration(let path, _)? = error as? WeightError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, folder.appendingPathComponent("config.json").path)
        }
    }
}
