import BraidTensor
import Foundation
import XCTest

/// Reads the committed fixtures written by `scripts/make-tensor-references.py`.
enum Fixtures {
    /// `Fixtures/tensor/` at the repository root.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tensor")

    /// A `{shape, data}` object from the JSON fixtures.
    struct TensorValue: Decodable {
        let shape: [Int]
        let data: [Float]

        var tensor: Tensor { Tensor(data, shape: shape) }
    }

    struct Case: Decodable {
        let inputs: [String: TensorValue]
        let output: TensorValue
        /// State an op updated in place (a batch norm's running statistics), as it was afterwards.
        let after: [String: TensorValue]?

        /// The input `name`, failing the test (not crashing) when the fixture lacks it.
        func input(_ name: String) throws -> Tensor {
            try XCTUnwrap(inputs[name], "fixture input \(name) missing").tensor
        }
    }

    private struct ReferenceFile: Decodable {
        let cases: [String: Case]
    }

    /// One case of `torch-reference.json`.
    static func torchCase(_ name: String) throws -> Case {
        let data = try Data(contentsOf: directory.appendingPathComponent("torch-reference.json"))
        let file = try JSONDecoder().decode(ReferenceFile.self, from: data)
        return try XCTUnwrap(file.cases[name], "no case \(name) in torch-reference.json")
    }
}

/// Seeded random input for tests.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor.randomNormal(shape, standardDeviation: scale, using: &rng)
}

/// Asserts equal shapes and elementwise |a - b| ≤ tolerance, naming the first offending element.
func assertClose(
    _ actual: Tensor, _ expected: Tensor, tolerance: Float, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let (a, e) = (actual.scalars, expected.scalars)
    if let index = a.indices.first(where: { !(abs(a[$0] - e[$0]) <= tolerance) }) {
        XCTFail("\(message) element \(index): \(a[index]) vs expected \(e[index])", file: file, line: line)
    }
}

/// Runs a finite-difference gradient check and fails the test with its report.
func assertGradientsMatch(
    _ inputs: [Tensor], step: Float = 1e-2, absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 1e-2,
    file: StaticString = #filePath, line: UInt = #line, _ function: ([Tensor]) -> Tensor
) {
    let report = GradCheck.check(
        inputs, step: step, absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance, function)
    XCTAssertTrue(report.passed, report.description, file: file, line: line)
    XCTAssertGreaterThan(report.checkedElements, 0, file: file, line: line)
}
