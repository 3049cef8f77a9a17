/// Checks an op's analytic gradient against central finite differences.
///
/// The function's output is reduced to a scalar by a fixed random projection, L = Σ f(x)·r, so
/// every output element contributes with its own weight; then each input element is nudged by ±h
/// and (L(x+h) - L(x-h)) / 2h is compared with the gradient `backward()` produced.
public enum GradCheck {
    /// The outcome of a check, with the worst element for the failure message.
    public struct Report: CustomStringConvertible, Sendable {
        /// Largest |analytic - numeric| / (absoluteTolerance + relativeTolerance·|numeric|);
        /// the check passes when it is at most 1.
        public let worstRatio: Float
        /// Which input and element gave `worstRatio`, with both values.
        public let worstElement: String
        /// How many input elements were checked.
        public let checkedElements: Int

        public var passed: Bool { worstRatio <= 1 }

        public var description: String {
            "gradient check \(passed ? "passed" : "FAILED") over \(checkedElements) elements; worst \(worstElement) (ratio \(worstRatio))"
        }
    }

    /// Compares the gradient of `function` with respect to each of `inputs` with finite differences.
    /// - Parameters:
    ///   - inputs: The tensors to differentiate against; their values are restored afterwards.
    ///     Keep them away from kinks (ReLU at 0, ties in max) where no derivative exists.
    ///   - step: The finite-difference step h.
    ///   - absoluteTolerance: Allowed error where the derivative is near 0.
    ///   - relativeTolerance: Allowed error as a fraction of the derivative.
    ///   - seed: Seeds the random projection of the output.
    ///   - function: The computation; must only read `inputs` (and constants).
    public static func check(
        _ inputs: [Tensor], step: Float = 1e-2, absoluteTolerance: Float = 1e-3, relativeTolerance: Float = 1e-2,
        seed: UInt64 = 7, _ function: ([Tensor]) -> Tensor
    ) -> Report {
        let wasRequiring = inputs.map(\.requiresGrad)
        defer { for (input, flag) in zip(inputs, wasRequiring) { input.requiresGrad = flag } }
        for input in inputs {
            input.requiresGrad = true
            input.grad = nil
        }
        let output = GradMode.$isEnabled.withValue(true) { function(inputs) }
        var rng = SeededRNG(seed: seed)
        let projection = Tensor.randomUniform(output.shape, low: -1, high: 1, using: &rng)
        GradMode.$isEnabled.withValue(true) { (output * projection).sum().backward() }
        let projectionValues = projection.scalars

        func projectedLoss() -> Double {
            let values = withNoGrad { function(inputs) }.scalars
            return zip(values, projectionValues).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }

        var worstRatio: Float = 0
        var worstElement = "none"
        var checked = 0
        for (inputIndex, input) in inputs.enumerated() {
            let analytic = input.grad?.scalars ?? [Float](repeating: 0, count: input.count)
            for element in 0..<input.count {
                let original = input.pointer[element]
                input.pointer[element] = original + step
                let plus = projectedLoss()
                input.pointer[element] = original - step
                let minus = projectedLoss()
                input.pointer[element] = original
                let numeric = Float((plus - minus) / (2 * Double(step)))
                let ratio =
                    Swift.abs(analytic[element] - numeric)
                    / (absoluteTolerance + relativeTolerance * Swift.abs(numeric))
                checked += 1
                if ratio > worstRatio || ratio.isNaN {
                    worstRatio = ratio.isNaN ? .infinity : ratio
                    worstElement =
                        "input \(inputIndex) element \(element): analytic \(analytic[element]), numeric \(numeric)"
                }
            }
            input.grad = nil
        }
        return Report(worstRatio: worstRatio, worstElement: worstElement, checkedElements: checked)
    }
}
