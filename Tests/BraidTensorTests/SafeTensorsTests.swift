import BraidTensor
import Foundation
import XCTest

final class SafeTensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "braid-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testRoundTripPreservesNamesShapesValuesAndMetadata() throws {
        let url = directory.appendingPathComponent("round.safetensors")
        let tensors = [
            "encoder.weight": randomTensor([3, 5], seed: 1),
            "encoder.bias": randomTensor([5], seed: 2),
            "scalar": Tensor(scalar: 4.5),
        ]
        try SafeTensorsFile.write(tensors, metadata: ["format": "pt"], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.keys, ["encoder.bias", "encoder.weight", "scalar"])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        for (name, tensor) in tensors {
            let read = try file.tensor(name)
            XCTAssertEqual(read.shape, tensor.shape, name)
            XCTAssertEqual(read.scalars, tensor.scalars, name)
        }
    }

    func testReadsFileWrittenByPythonIncludingHalfPrecisions() throws {
        struct Expected: Decodable {
            let dtypes: [String: String]
            let tensors: [String: Fixtures.TensorValue]
        }
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: Fixtures.directory.appendingPathComponent("python-written.json")))
        let file = try SafeTensorsFile(
            contentsOf: Fixtures.directory.appendingPathComponent("python-written.safetensors"))
        XCTAssertEqual(file.metadata["format"], "pt")
        XCTAssertEqual(Set(file.keys), Set(expected.tensors.keys))
        for (name, value) in expected.tensors {
            XCTAssertEqual(file.entries[name]?.dtype, expected.dtypes[name], name)
            let read = try file.tensor(name)
            XCTAssertEqual(read.shape, value.shape, name)
            // Widening F16/BF16 is exact, so the values must be identical, sign of zero included.
            XCTAssertEqual(read.scalars.map(\.bitPattern), value.data.map(\.bitPattern), name)
        }
    }

    func testTruncatedFileNamesTheFile() throws {
        let url = directory.appendingPathComponent("whole.safetensors")
        try SafeTensorsFile.write(["w": randomTensor([4, 4], seed: 3)], to: url)
        let bytes = try Data(contentsOf: url)
        let cut = directory.appendingPathComponent("cut.safetensors")
        try bytes.prefix(bytes.count - 10).write(to: cut)
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: cut)) { error in
            XCTAssertEqual(
                error as? WeightError, .truncated(path: cut.path, neededBytes: bytes.count, fileBytes: bytes.count - 10)
            )
        }
        let stub = directory.appendingPathComponent("stub.safetensors")
        try Data([1, 2, 3]).write(to: stub)
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: stub)) { error in
            XCTAssertEqual(error as? WeightError, .truncated(path: stub.path, neededBytes: 8, fileBytes: 3))
        }
    }

    func testBadHeaderIsReported() throws {
        let url = directory.appendingPathComponent("bad.safetensors")
        let header = Array("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]".utf8)  // unterminated JSON
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init)
        bytes += header + [UInt8](repeating: 0, count: 8)
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
            guard case .badHeader(let path, _)? = error as? WeightError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue("\(error)".contains(url.path))
        }
    }

    func testMissingAndMisShapedKeysAreReported() throws {
        let url = directory.appendingPathComponent("keys.safetensors")
        try SafeTensorsFile.write(["layer.weight": randomTensor([2, 3], seed: 4)], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertThrowsError(try file.tensor("layer.bias")) { error in
            XCTAssertEqual(error as? WeightError, .missingKey(path: url.path, key: "layer.bias"))
        }
        let scope = WeightScope.loading(file).scope("layer")
        XCTAssertThrowsError(try Linear(scope: scope, inFeatures: 2, outFeatures: 3, bias: false)) { error in
            XCTAssertEqual(
                error as? WeightError,
                .shapeMismatch(path: url.path, key: "layer.weight", expected: [3, 2], found: [2, 3]))
        }
    }

    func testLoadedParametersAreCopyOnWriteViewsOfTheFile() throws {
        let url = directory.appendingPathComponent("cow.safetensors")
        try SafeTensorsFile.write(["w": Tensor([1, 2, 3, 4], shape: [4])], to: url)
        let before = try Data(contentsOf: url)
        let weight = try SafeTensorsFile(contentsOf: url).tensor("w")
        weight.withUnsafeMutableBufferPointer { $0[0] = 42 }
        XCTAssertEqual(weight.scalars, [42, 2, 3, 4])
        XCTAssertEqual(try Data(contentsOf: url), before, "updating a loaded tensor must not write the file")
    }
}

extension SafeTensorsTests {
    /// A header from a hostile or corrupt file must be refused with an error, never a trap.
    func testImpossibleShapesAndOffsetsAreBadHeaders() throws {
        for entry in [
            #"{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#,
            #"{"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 9223372036854775800]}}"#,
            #"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#,
        ] {
            let url = directory.appendingPathComponent("hostile.safetensors")
            let header = Array(entry.utf8)
            let bytes =
                withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
                + [UInt8](repeating: 0, count: 16)
            try Data(bytes).write(to: url)
            XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url), entry) { error in
                guard case .badHeader(let path, _)? = error as? WeightError else {
                    return XCTFail("\(entry): \(error)")
                }
                XCTAssertEqual(path, url.path)
            }
        }
    }
}
