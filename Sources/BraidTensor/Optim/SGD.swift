/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, with
/// PyTorch's `torch.optim.SGD` update: the first step seeds the momentum buffer with the gradient.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    private var velocities: [[Float]?]

    /// - Parameters:
    ///   - parameters: The tensors to update (e.g. `scope.store.parameters`).
    ///   - momentum: 0 for plain SGD.
    ///   - weightDecay: L2 penalty added to the gradient.
    ///   - nesterov: Look ahead along the momentum.
    public init(
        parameters: [Tensor], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        velocities = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every parameter that has a gradient: p -= lr · (momentum-filtered gradient).
    public func step() {
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            var velocity = velocities[index] ?? []
            let seeding = velocity.isEmpty
            if momentum != 0 && seeding { velocity = [Float](repeating: 0, count: parameter.count) }
            let (p, g) = (parameter.pointer, gradient.pointer)
            for i in 0..<parameter.count {
                var direction = g[i] + weightDecay * p[i]
                if momentum != 0 {
                    velocity[i] = seeding ? direction : momentum * velocity[i] + direction
                    direction = nesterov ? direction + momentum * velocity[i] : velocity[i]
                }
                p[i] -= learningRate * direction
            }
            if momentum != 0 { velocities[index] = velocity }
        }
    }

    /// The momentum buffers that exist, keyed as PyTorch's `state_dict` keys them: `state.I.momentum_buffer`.
    public var state: [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (index, velocity) in velocities.enumerated() {
            if let velocity {
                state["state.\(index).momentum_buffer"] = Tensor(velocity, shape: parameters[index].shape)
            }
        }
        return state
    }

    /// Restores what `state` returned; a parameter without a buffer starts its momentum afresh, as it would have.
    public func loadState(_ state: [String: Tensor]) throws {
        velocities = try parameters.indices.map { index in
            let name = "state.\(index).momentum_buffer"
            return state[name] == nil ? nil : try OptimizerStateError.entry(state, name, like: parameters[index])
        }
    }
}
