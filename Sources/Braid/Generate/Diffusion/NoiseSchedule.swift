import Foundation

/// The forward (noising) process of a diffusion model (Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models",
/// 2020): T steps x_t = √(1−β_t)·x_{t−1} + √β_t·ε, and the figures sampling needs from it.
///
/// Steps are numbered 0..<T here, so step t adds the (t+1)-th noise of the paper; ᾱ_t = ∏_{s≤t} (1−β_s).
public struct NoiseSchedule: Sendable, Equatable {
    /// How β grows over the steps.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// β from 1e-4 to 0.02, evenly (Ho et al.).
        case linear
        /// ᾱ following cos² from 1 to 0 with an offset of 0.008 (Nichol & Dhariwal, "Improved DDPM", 2021): less
        /// noise early, so small images keep their shape for more of the steps.
        case cosine
    }

    public let kind: Kind
    /// β_t, t in 0..<T.
    public let betas: [Double]
    /// ᾱ_t, t in 0..<T.
    public let cumulativeAlphas: [Double]

    public init(kind: Kind, steps: Int = 1000) {
        precondition(steps >= 1, "a diffusion needs at least one step")
        self.kind = kind
        switch kind {
        case .linear:
            let (first, last) = (1e-4, 0.02)
            betas = (0..<steps).map { steps == 1 ? first : first + (last - first) * Double($0) / Double(steps - 1) }
        case .cosine:
            let offset = 0.008
            func f(_ t: Int) -> Double {
                let angle = (Double(t) / Double(steps) + offset) / (1 + offset) * Double.pi / 2
                return cos(angle) * cos(angle)
            }
            // β capped at 0.999 as in the paper, so the last step does not divide by zero.
            betas = (0..<steps).map { min(0.999, 1 - f($0 + 1) / f($0)) }
        }
        var product = 1.0
        cumulativeAlphas = betas.map { beta in
            product *= 1 - beta
            return product
        }
    }

    /// T.
    public var steps: Int { betas.count }

    /// The closed form q(x_t | x_0) = N(√ᾱ_t·x_0, (1−ᾱ_t)·I), as its two coefficients: x_t = a·x_0 + b·ε.
    public func marginal(at t: Int) -> (signal: Float, noise: Float) {
        (Float(cumulativeAlphas[t].squareRoot()), Float((1 - cumulativeAlphas[t]).squareRoot()))
    }

    /// The posterior q(x_{t′} | x_t, x_0) = N(a·x_0 + b·x_t, σ²·I) of an earlier step t′ (Ho et al., eq. 6–7, with
    /// β_t replaced by 1 − ᾱ_t/ᾱ_{t′} when t′ skips steps, as a sampler with fewer steps does).
    /// - Parameter previous: t′ < t, or −1 for x_0 itself.
    public func posterior(at t: Int, previous: Int) -> (fromStart: Float, fromCurrent: Float, variance: Float) {
        let (current, earlier) = (cumulativeAlphas[t], previous >= 0 ? cumulativeAlphas[previous] : 1)
        let beta = 1 - current / earlier
        return (
            Float(earlier.squareRoot() * beta / (1 - current)),
            Float((1 - beta).squareRoot() * (1 - earlier) / (1 - current)),
            Float(beta * (1 - earlier) / (1 - current))
        )
    }

    /// `count` steps spread evenly over 0..<T, last to first: the steps DDIM visits (Song, Meng & Ermon, 2021).
    /// They start at T−1 (pure noise) and step by T/count ("trailing" spacing, Lin et al., 2023), so that every
    /// count from 1 to T is a sampler that begins where training's noisiest step does; count = T visits every step.
    public func strided(_ count: Int) -> [Int] {
        let count = min(max(1, count), steps)
        return (0..<count).map { index in steps - 1 - index * steps / count }
    }
}
