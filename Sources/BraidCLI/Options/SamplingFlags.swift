import ArgumentParser
import Braid

/// How a diffusion model samples: shared by `generate`, `eval` (of a diffusion model) and `bench diffusion`.
struct SamplingFlags: ParsableArguments {
    @Option(help: "Network steps of the sampler (at most the model's 1000).")
    var steps = 50

    @Option(help: "Classifier-free guidance weight w (0: the prompted model alone).")
    var guidance: Float = 3

    @Option(help: "ddim or ddpm.")
    var sampler: SamplingOptions.Sampler = .ddim

    @Option(help: "DDIM's η: 0 deterministic, 1 as random as DDPM.")
    var eta: Float = 0

    @Option(help: "Seeds the noise.")
    var seed: UInt64 = 0

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("'--steps' must be at least 1, got \(steps).") }
        guard guidance >= 0, guidance.isFinite else {
            throw ValidationError("'--guidance' must be 0 or more, got \(guidance).")
        }
        guard (0...1).contains(eta) else { throw ValidationError("'--eta' must be in [0, 1], got \(eta).") }
        if eta != 0, sampler != .ddim { throw ValidationError("'--eta' is DDIM's: drop it or use '--sampler ddim'.") }
    }

    var options: SamplingOptions {
        var options = SamplingOptions()
        options.sampler = sampler
        options.eta = eta
        options.steps = steps
        options.guidance = guidance
        options.seed = seed
        return options
    }
}

extension SamplingOptions.Sampler: ExpressibleByArgument {}
