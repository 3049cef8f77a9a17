import CTensorKernels
import Synchronization

/// Loss functions built from primitives; their gradients come from the primitives' backward.

extension Tensor {
    /// Mean cross-entropy between logits and class indices (PyTorch's `cross_entropy`).
    /// - Parameters:
    ///   - logits: `(N, classes)`.
    ///   - targets: N class indices, each in `0..<classes`.
    public static func crossEntropy(logits: Tensor, targets: [Int]) -> Tensor {
        precondition(
            logits.rank == 2 && logits.shape[0] == targets.count, "crossEntropy needs (N, classes) and N targets")
        let classes = logits.shape[1]
        var oneHot = [Float](repeating: 0, count: logits.count)
        for (row, target) in targets.enumerated() {
            precondition(target >= 0 && target < classes, "target \(target) outside 0..<\(classes)")
            oneHot[row * classes + target] = 1
        }
        return crossEntropy(logits: logits, probabilities: Tensor(oneHot, shape: logits.shape))
    }

    /// Mean cross-entropy between logits and class probabilities (PyTorch's `cross_entropy` with probability
    /// targets, as for label smoothing or distillation): `-Σ p · log_softmax(x) / N`.
    /// - Parameters:
    ///   - logits: `(N, classes)`.
    ///   - probabilities: `(N, classes)`, each row a distribution; its gradient is computed too.
    public static func crossEntropy(logits: Tensor, probabilities: Tensor) -> Tensor {
        precondition(
            logits.rank == 2 && probabilities.shape == logits.shape,
            "crossEntropy needs (N, classes) logits and probabilities of the same shape")
        return -(logits.logSoftmax() * probabilities).sum() * (1 / Float(logits.shape[0]))
    }

    /// Mean squared error.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        // A product rather than pow(2): one multiply per element instead of a powf call.
        let difference = prediction - target
        return (difference * difference).mean()
    }

    /// Mean binary cross-entropy on logits (PyTorch's `binary_cross_entropy_with_logits`), stable
    /// for large logits: softplus(x) - x·y.
    ///
    /// One fused pass each way, as an autoencoder's loss over every pixel is a large share of its small step: the
    /// gradient is (sigmoid(x) − y)/N for the logits and −x/N for the targets.
    public static func binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor) -> Tensor {
        precondition(logits.shape == targets.shape, "binaryCrossEntropyWithLogits needs logits and targets of one shape")
        let (x, y) = (logits, targets)
        let count = x.count
        // Chunks' sums added in order of their place, so the loss does not depend on which thread finished first.
        let chunkSums = Mutex<[(start: Int, sum: Float)]>([])
        Parallel.forEachChunk(count, costPerItem: 8) { chunk in
            let start = chunk.lowerBound
            let sum = braid_binary_cross_entropy_sum(x.pointer + start, y.pointer + start, chunk.count)
            chunkSums.withLock { $0.append((start, sum)) }
        }
        let total = chunkSums.withLock { $0.sorted { $0.start < $1.start }.reduce(0) { $0 + $1.sum } }
        let loss = Tensor(scalar: total / Float(count))
        return record(loss, inputs: [x, y]) { gradient, _ in
            let scale = gradient.item / Float(count)
            var logitGradient: Tensor?
            if x.requiresGrad {
                let result = Tensor.uninitialized(x.shape)
                Parallel.forEachChunk(count, costPerItem: 8) { chunk in
                    let start = chunk.lowerBound
                    braid_binary_cross_entropy_backward(
                        x.pointer + start, y.pointer + start, result.pointer + start, chunk.count, scale)
                }
                logitGradient = result
            }
            return [logitGradient, y.requiresGrad ? x * -scale : nil]
        }
    }
}

extension Tensor {
    /// Inverted dropout: zeroes each element with `probability` and scales survivors by
    /// 1/(1 - probability), so inference needs no rescaling. Identity when not `training`.
    public func dropout(probability: Float, training: Bool, using rng: inout SeededRNG) -> Tensor {
        guard training, probability > 0 else { return self }
        precondition(probability < 1, "dropout probability \(probability) must be below 1")
        let keep = 1 / (1 - probability)
        let mask = Tensor.uninitialized(shape)
        for index in 0..<count { mask.pointer[index] = rng.nextUniform() < probability ? 0 : keep }
        return self * mask
    }
}
