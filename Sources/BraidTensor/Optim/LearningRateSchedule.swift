import Foundation

/// Linear warm-up from zero to the peak rate, then a half-cosine down to a floor: the schedule of most recent
/// vision and language training recipes (Goyal et al. 2017 for the warm-up, Loshchilov & Hutter's SGDR for the
/// cosine). A pure function of the step, so a resumed run picks up the same rate it would have had.
public struct WarmupCosineSchedule: Sendable, Equatable, Codable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    /// The rate the cosine ends at, as a fraction of `peak`.
    public var floorFraction: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, floorFraction: Float = 0) {
        precondition(totalSteps >= 1 && warmupSteps >= 0, "schedule needs at least one step")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.floorFraction = floorFraction
    }

    /// The rate for step `step` (0-based): `peak·(step+1)/warmup` during warm-up, then the cosine from `peak` at
    /// the end of warm-up to `floorFraction·peak` at the last step.
    public func rate(atStep step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let decaySteps = max(1, totalSteps - warmupSteps - 1)
        let progress = min(1, Double(step - warmupSteps) / Double(decaySteps))
        let cosine = Float(0.5 * (1 + cos(Double.pi * progress)))
        return peak * (floorFraction + (1 - floorFraction) * cosine)
    }
}
