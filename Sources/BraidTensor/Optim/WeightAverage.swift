/// An exponential moving average of a model's parameters (Polyak averaging), kept beside them as buffers: the
/// averaged weights sample better than the last step's in diffusion models (Ho et al., 2020; Song & Ermon, 2020),
/// which jump around with each batch's noise.
///
/// The averages are registered as buffers under `scope` (keys `ema.<parameter>`), so a checkpoint holds them and
/// a resumed run continues them exactly.
public final class WeightAverage: @unchecked Sendable {
    public let decay: Float
    private let pairs: [(name: String, parameter: Tensor, average: Tensor)]
    /// (1): the updates made so far, which the warm-up of the decay counts.
    private let updates: Tensor

    /// Starts the averages at the parameters' current values.
    /// - Parameters:
    ///   - parameters: The (name, parameter) pairs to average, from a store.
    ///   - scope: Where the averages are registered, e.g. the model's root scope's `ema`.
    ///   - decay: The weight of the old average at each update, once warmed up.
    public init(parameters: [(name: String, tensor: Tensor)], scope: WeightScope, decay: Float) throws {
        self.decay = decay
        pairs = try parameters.map { name, parameter in
            let average = try scope.buffer(name, shape: parameter.shape, initializer: .zeros)
            average.pointer.update(from: parameter.pointer, count: parameter.count)
            return (name, parameter, average)
        }
        updates = try scope.buffer("updates", shape: [1], initializer: .zeros)
    }

    /// Moves every average towards its parameter: a ← d·a + (1 − d)·p, with d = min(decay, (1 + n)/(10 + n)) after n
    /// updates, so the first steps' random weights fade quickly instead of over 1/(1 − decay) steps.
    public func update() {
        let count = updates.pointer.pointee
        let rate = min(decay, (1 + count) / (10 + count))
        for (_, parameter, average) in pairs {
            let (source, target) = (parameter.pointer, average.pointer)
            for index in 0..<parameter.count { target[index] = rate * target[index] + (1 - rate) * source[index] }
        }
        updates.pointer.pointee = count + 1
    }

    /// The averaged weights by their parameters' names: the model the averages make.
    public var averagedTensors: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: pairs.map { ($0.name, $0.average) })
    }
}
