import BraidTensor

/// Runs the reverse process: from pure noise, each step asks the network what noise the image holds and steps to a
/// less noisy image, until an image is left.
///
/// - DDPM (Ho et al., 2020): ancestral sampling, x_{t′} drawn from the posterior q(x_{t′} | x_t, x̂_0).
/// - DDIM (Song, Meng & Ermon, 2021): x_{t′} = √ᾱ_{t′}·x̂_0 + √(1 − ᾱ_{t′} − σ²)·ε̂ + σ·z with
///   σ = η·√((1 − ᾱ_{t′})/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_{t′}); η = 0 is deterministic given the starting noise, η = 1 is DDPM.
///
/// Both may skip steps (t′ < t − 1). Classifier-free guidance (Ho & Salimans, 2022) mixes the prompted prediction
/// with the unprompted one, ε̃ = (1 + w)·ε̂(prompt) − w·ε̂(∅): w = 0 is the prompted model alone, larger w follows the
/// prompt more closely at the cost of variety. Each image's noise comes from its own generator, seeded by the seed
/// and its index, so image k of a seed is the same however many are drawn.
struct DiffusionSampler {
    enum Method: Sendable, Equatable {
        case ddpm
        case ddim(eta: Float)
    }

    /// What the network predicts.
    enum Prediction: String, Codable, Sendable {
        /// ε, the noise (Ho et al.).
        case epsilon
        /// v = √ᾱ·ε − √(1−ᾱ)·x_0 (Salimans & Ho, 2022).
        case v
    }

    let schedule: NoiseSchedule
    let prediction: Prediction
    /// Predicts ε (or v) for a batch: (x_t (B, 1, S, S), the step of each row, the prompts of each row) -> (B, 1, S, S).
    let network: (Tensor, [Int], DiffusionUNet.Prompts) -> Tensor
    /// E, the width of a prompt token.
    let tokenWidth: Int

    struct Options: Sendable, Equatable {
        var method = Method.ddim(eta: 0)
        /// How many network steps, spread over the schedule's T.
        var steps = 50
        /// w.
        var guidance: Float = 3
        var seed: UInt64 = 0
    }

    /// Draws one image per prompt.
    /// - Parameters:
    ///   - prompts: Each image's prompt tokens (``PromptEncoder/tokens(of:)``); nil draws an unprompted image.
    ///   - side: S.
    ///   - indices: Each image's index under the seed (its generator); default 0, 1, ….
    ///   - snapshots: How many intermediate images to keep for a trace, evenly over the steps (x_t before each).
    ///   - onStep: Called after each network step.
    /// - Returns: The images, (B, S·S) row-major in [−1, 1], and the snapshots, each likewise.
    func sample(
        prompts: [[Float]?], side: Int, options: Options, indices: [Int]? = nil, snapshots: Int = 0,
        onStep: (() -> Void)? = nil
    ) -> (images: [[Float]], snapshots: [[[Float]]]) {
        let count = prompts.count
        let pixels = side * side
        var generators = (indices ?? Array(0..<count)).map {
            SeededRNG(seed: SeededRNG.derivedSeed(options.seed, UInt64($0)))
        }
        var images = generators.indices.map { row in (0..<pixels).map { _ in generators[row].nextNormal() } }
        let guided = options.guidance != 0
        let conditioning = PromptEncoder.batch(guided ? prompts + prompts.map { _ in nil } : prompts, dimension: tokenWidth)
        let steps = schedule.strided(options.steps)
        let kept = Set((0..<snapshots).map { $0 * steps.count / max(1, snapshots) })
        var trace: [[[Float]]] = []
        for (index, t) in steps.enumerated() {
            if kept.contains(index) { trace.append(images) }
            let previous = index + 1 < steps.count ? steps[index + 1] : -1
            let input = Tensor(images.flatMap { $0 }, shape: [count, 1, side, side])
            let outputs = withNoGrad {
                network(guided ? Tensor.concatenate([input, input], axis: 0) : input,
                    [Int](repeating: t, count: conditioning.lengths.count), conditioning)
            }.scalars
            for row in 0..<count {
                var predicted = Array(outputs[(row * pixels)..<((row + 1) * pixels)])
                if guided {
                    let unprompted = outputs[((count + row) * pixels)..<((count + row + 1) * pixels)]
                    for (pixel, value) in zip(predicted.indices, unprompted) {
                        predicted[pixel] = (1 + options.guidance) * predicted[pixel] - options.guidance * value
                    }
                }
                images[row] = step(
                    images[row], output: predicted, at: t, previous: previous, method: options.method,
                    rng: &generators[row])
            }
            onStep?()
        }
        return (images, trace)
    }

    /// One reverse step of one image from step t to t′ (−1: to x_0).
    /// - Parameters:
    ///   - output: The (guided) network output for x_t.
    ///   - noise: z, the fresh noise of a stochastic step; drawn from `rng` when nil.
    func step(
        _ x: [Float], output: [Float], at t: Int, previous: Int, method: Method, rng: inout SeededRNG,
        noise: [Float]? = nil
    ) -> [Float] {
        let (start, predictedNoise) = estimates(x, output: output, at: t)
        switch method {
        case .ddpm:
            let posterior = schedule.posterior(at: t, previous: previous)
            let deviation = posterior.variance.squareRoot()
            return x.indices.map { pixel in
                posterior.fromStart * start[pixel] + posterior.fromCurrent * x[pixel]
                    + (previous >= 0 ? deviation * (noise?[pixel] ?? rng.nextNormal()) : 0)
            }
        case .ddim(let eta):
            let (current, earlier) = (
                schedule.cumulativeAlphas[t], previous >= 0 ? schedule.cumulativeAlphas[previous] : 1
            )
            let sigma = Float(eta) * Float(((1 - earlier) / (1 - current) * (1 - current / earlier)).squareRoot())
            let (signal, direction) = (Float(earlier.squareRoot()), Float(max(0, 1 - earlier - Double(sigma * sigma)).squareRoot()))
            return x.indices.map { pixel in
                signal * start[pixel] + direction * predictedNoise[pixel]
                    + (sigma > 0 ? sigma * (noise?[pixel] ?? rng.nextNormal()) : 0)
            }
        }
    }

    /// x̂_0, clipped to the data's range [−1, 1], and the ε̂ consistent with it.
    func estimates(_ x: [Float], output: [Float], at t: Int) -> (start: [Float], noise: [Float]) {
        let (signal, noise) = schedule.marginal(at: t)
        let start: [Float] = x.indices.map { pixel in
            let estimate =
                switch prediction {
                case .epsilon: (x[pixel] - noise * output[pixel]) / signal
                case .v: signal * x[pixel] - noise * output[pixel]
                }
            return min(1, max(-1, estimate))
        }
        return (start, x.indices.map { (x[$0] - signal * start[$0]) / noise })
    }
}
