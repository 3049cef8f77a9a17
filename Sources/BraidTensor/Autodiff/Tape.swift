/// One recorded op: the tensors it read and how to turn the gradient of its output into gradients
/// for them. The output owns its node; the closure receives the output as an argument rather than
/// capturing it, so no reference cycle forms.
final class GradNode {
    let inputs: [Tensor]
    /// Maps (gradient of the output, the output) to one gradient per input, `nil` where an input
    /// needs none. Each gradient has its input's shape.
    let backward: (_ gradient: Tensor, _ output: Tensor) -> [Tensor?]

    init(inputs: [Tensor], backward: @escaping (_ gradient: Tensor, _ output: Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// Attaches `backward` to `output` when grad mode is on and some input requires a gradient;
    /// otherwise records nothing, so no-grad inference allocates no tape.
    @discardableResult
    static func record(
        _ output: Tensor, inputs: [Tensor],
        backward: @escaping (_ gradient: Tensor, _ output: Tensor) -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: \.requiresGrad) else { return output }
        output.requiresGrad = true
        output.gradNode = GradNode(inputs: inputs, backward: backward)
        return output
    }

    /// Whether an op reading `inputs` would be recorded; lets ops skip saving what backward needs.
    static func willRecord(_ inputs: Tensor...) -> Bool {
        GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
    }

    /// Back-propagates from this scalar: adds d(self)/d(leaf) to `grad` of every leaf that
    /// `requiresGrad`.
    ///
    /// The graph is ordered by an iterative depth-first search (deep graphs cannot overflow the
    /// stack), then walked outputs-first. Interior nodes are released as they are consumed, like
    /// PyTorch without `retain_graph`: call `backward()` once per forward pass.
    public func backward() {
        precondition(count == 1, "backward() needs a one-element loss, got shape \(shape)")
        backward(seed: Tensor(repeating: 1, shape: shape))
    }

    /// Back-propagates `seed`, the gradient of some scalar with respect to this tensor.
    public func backward(seed: Tensor) {
        precondition(seed.shape == shape, "seed shape \(seed.shape) differs from \(shape)")
        let order = topologicalOrder()
        var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        withNoGrad {
            for tensor in order.reversed() {
                guard let gradient = gradients.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                guard let node = tensor.gradNode else {
                    tensor.accumulateGrad(gradient)
                    continue
                }
                tensor.gradNode = nil
                let inputGradients = node.backward(gradient, tensor)
                for (input, inputGradient) in zip(node.inputs, inputGradients) {
                    guard input.requiresGrad, let inputGradient else { continue }
                    precondition(inputGradient.shape == input.shape, "gradient shape mismatch in backward")
                    let key = ObjectIdentifier(input)
                    gradients[key] = gradients[key].map { $0 + inputGradient } ?? inputGradient
                }
            }
        }
    }

    /// Every tensor that requires a gradient and leads to this one, inputs before outputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = []
        // (tensor, whether its inputs have already been pushed)
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradNode?.inputs ?? [] where input.requiresGrad {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }

    private func accumulateGrad(_ gradient: Tensor) {
        guard requiresGrad else { return }
        if let grad {
            grad.addInPlace(gradient)
        } else {
            // Op gradients may alias each other (add hands the same tensor to both inputs): own a copy.
            grad = gradient.copied()
        }
    }

    /// `self += other` elementwise, bypassing the tape (gradient accumulation, optimizers).
    func addInPlace(_ other: Tensor, scale: Float = 1) {
        precondition(other.shape == shape, "addInPlace shape \(other.shape) vs \(shape)")
        let (target, source) = (pointer, other.pointer)
        for index in 0..<count { target[index] += scale * source[index] }
    }
}
