import BraidTensor
import Synchronization

/// The VQ-VAE codebook options, applied after each optimiser step:
///
/// - data initialisation: after the first step, the codes are set to encoder outputs of that batch spread evenly
///   over it, so that every code starts where the data is instead of in a small cube at the origin that most
///   outputs are far from;
/// - moving averages (van den Oord et al., 2017, appendix A.1): each code becomes the decayed mean of the encoder
///   outputs assigned to it, `e = m / N` with `N ← γN + (1−γ)n` and `m ← γm + (1−γ)Σz`, instead of learning by
///   gradient;
/// - dead-code restarts: every `restartInterval` steps, each code no output chose in that time is moved onto one of
///   the last batch's outputs, the worst-served first (largest distance to its code), so no code stays unused.
///
/// Its counts live in the model's buffers (`quantizer.ema_count`, `quantizer.ema_sum`, `quantizer.usage`), so a
/// checkpoint holds them and a resumed run repeats an uninterrupted one.
final class CodebookMaintenance: Sendable {
    struct Settings: Codable, Sendable, Equatable {
        /// γ of the moving averages; nil learns the codebook by gradient.
        var emaDecay: Float?
        /// Steps between restarts of unused codes; nil never restarts.
        var restartInterval: Int?
        /// Codes set from the first batch's encoder outputs.
        var initializesFromData = false

        var isActive: Bool { emaDecay != nil || restartInterval != nil || initializesFromData }

        enum CodingKeys: String, CodingKey {
            case emaDecay = "ema_decay"
            case restartInterval = "restart_interval"
            case initializesFromData = "init_from_data"
        }

        init(emaDecay: Float? = nil, restartInterval: Int? = nil, initializesFromData: Bool = false) {
            (self.emaDecay, self.restartInterval, self.initializesFromData) = (emaDecay, restartInterval, initializesFromData)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            emaDecay = try container.decodeIfPresent(Float.self, forKey: .emaDecay)
            restartInterval = try container.decodeIfPresent(Int.self, forKey: .restartInterval)
            initializesFromData = try container.decodeIfPresent(Bool.self, forKey: .initializesFromData) ?? false
        }
    }

    /// The last training batch's encoder outputs and codes, kept from the loss to the step's end.
    private struct Observation {
        var vectors: [Float] = []
        var codes: [Int] = []
    }

    let settings: Settings
    private let codebook: Tensor
    private let emaCount: Tensor
    private let emaSum: Tensor
    /// Per code, outputs assigned since the last restart; its extra last element counts the steps.
    private let usage: Tensor
    /// (1): 1 once the codes were set from data; only with that option, so older files need not hold it.
    private let initialized: Tensor?
    private let observation = Mutex(Observation())

    init(settings: Settings, quantizer: VectorQuantizer, scope: WeightScope) throws {
        self.settings = settings
        codebook = quantizer.codebook
        let (count, dimension) = (quantizer.count, quantizer.dimension)
        emaCount = try scope.buffer("ema_count", shape: [count], initializer: .ones)
        emaSum = try scope.buffer("ema_sum", shape: [count, dimension], initializer: .zeros)
        usage = try scope.buffer("usage", shape: [count + 1], initializer: .zeros)
        initialized =
            settings.initializesFromData ? try scope.buffer("initialized", shape: [1], initializer: .zeros) : nil
        if settings.emaDecay != nil, !scope.contains("ema_sum") {
            // Start the sums at the codes themselves, so e = m / N holds from the first step.
            emaSum.withUnsafeMutableBufferPointer { sums in
                codebook.withUnsafeBufferPointer { codes in for index in codes.indices { sums[index] = codes[index] } }
            }
        }
    }

    /// Keeps a training batch's outputs (N, D) and their codes for ``afterStep()``.
    func observe(vectors: Tensor, codes: [Int]) {
        observation.withLock { $0 = Observation(vectors: vectors.scalars, codes: codes) }
    }

    /// Applies the moving averages and the restarts to the codebook, from the batch observed.
    func afterStep() {
        let seen = observation.withLock { observation in
            defer { observation = Observation() }
            return observation
        }
        guard !seen.codes.isEmpty else { return }
        let (count, dimension) = (codebook.shape[0], codebook.shape[1])
        if let initialized, initialized.scalars[0] == 0, seen.codes.count >= count {
            codebook.withUnsafeMutableBufferPointer { codes in
                for code in 0..<count {
                    let row = code * seen.codes.count / count
                    for column in 0..<dimension {
                        codes[code * dimension + column] = seen.vectors[row * dimension + column]
                    }
                }
            }
            initialized.withUnsafeMutableBufferPointer { $0[0] = 1 }
            if settings.emaDecay != nil {
                emaCount.withUnsafeMutableBufferPointer { counts in for index in counts.indices { counts[index] = 1 } }
                emaSum.withUnsafeMutableBufferPointer { sums in
                    codebook.withUnsafeBufferPointer { codes in for index in codes.indices { sums[index] = codes[index] } }
                }
            }
            return
        }
        codebook.withUnsafeMutableBufferPointer { codes in
            if let decay = settings.emaDecay {
                updateAverages(codes, seen: seen, decay: decay, count: count, dimension: dimension)
            }
            if let interval = settings.restartInterval {
                restartUnused(codes, seen: seen, interval: interval, count: count, dimension: dimension)
            }
        }
    }

    private func updateAverages(
        _ codes: UnsafeMutableBufferPointer<Float>, seen: Observation, decay: Float, count: Int, dimension: Int
    ) {
        var assigned = [Float](repeating: 0, count: count)
        var sums = [Float](repeating: 0, count: count * dimension)
        for (row, code) in seen.codes.enumerated() {
            assigned[code] += 1
            for column in 0..<dimension { sums[code * dimension + column] += seen.vectors[row * dimension + column] }
        }
        emaCount.withUnsafeMutableBufferPointer { counts in
            emaSum.withUnsafeMutableBufferPointer { averages in
                for code in 0..<count {
                    counts[code] = decay * counts[code] + (1 - decay) * assigned[code]
                    for column in 0..<dimension {
                        let index = code * dimension + column
                        averages[index] = decay * averages[index] + (1 - decay) * sums[index]
                    }
                }
                // Laplace smoothing keeps a rarely used code's count away from zero (Sonnet's VQ-VAE-EMA).
                let total = counts.reduce(0, +)
                let epsilon: Float = 1e-5
                for code in 0..<count {
                    let smoothed = (counts[code] + epsilon) / (total + Float(count) * epsilon) * total
                    for column in 0..<dimension {
                        codes[code * dimension + column] = averages[code * dimension + column] / smoothed
                    }
                }
            }
        }
    }

    private func restartUnused(
        _ codes: UnsafeMutableBufferPointer<Float>, seen: Observation, interval: Int, count: Int, dimension: Int
    ) {
        usage.withUnsafeMutableBufferPointer { usage in
            for code in seen.codes { usage[code] += 1 }
            usage[count] += 1
            guard Int(usage[count]) >= interval else { return }
            let unused = (0..<count).filter { usage[$0] == 0 }
            for index in usage.indices { usage[index] = 0 }
            guard !unused.isEmpty else { return }
            // The outputs farthest from their codes, worst first.
            let distances = seen.codes.enumerated().map { row, code in
                (0..<dimension).reduce(Float(0)) { sum, column in
                    let difference = seen.vectors[row * dimension + column] - codes[code * dimension + column]
                    return sum + difference * difference
                }
            }
            let worst = distances.indices.sorted { distances[$0] > distances[$1] }
            for (code, row) in zip(unused, worst) {
                for column in 0..<dimension {
                    codes[code * dimension + column] = seen.vectors[row * dimension + column]
                }
            }
            // A restarted code starts its averages afresh where it now is.
            if settings.emaDecay != nil {
                emaCount.withUnsafeMutableBufferPointer { counts in
                    emaSum.withUnsafeMutableBufferPointer { sums in
                        for code in unused {
                            counts[code] = 1
                            for column in 0..<dimension {
                                sums[code * dimension + column] = codes[code * dimension + column]
                            }
                        }
                    }
                }
            }
        }
    }
}
