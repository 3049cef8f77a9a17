/// Branch-free expf and erf that the compiler vectorises, for the loops where libm's scalar calls
/// dominated (softmax, sigmoid, SiLU, GELU).
///
/// Cody–Waite range reduction, x = n·ln2 + r with |r| ≤ ln2/2, then the degree-6 polynomial for
/// e^r from Cephes' `expf` (S. Moshier), scaled by 2^n through the exponent bits. Within 2 ulp of
/// `expf` over the clamped range; inputs are clamped to [-86.6, 88.7], so e^-∞ gives 2.4e-38
/// (not 0) and overflow gives 3.4e38 (not ∞), which no softmax or sigmoid can tell apart.
enum VectorMath {
    /// 1.5·2²³: adding it rounds a float in ±2²² to an integer held in the low mantissa bits.
    private static let roundingMagic: Float = 12_582_912

    @inline(__always)
    static func exp(_ x: Float) -> Float {
        // Selects rather than min/max, whose NaN rules keep the loop scalar.
        let low = x < -86.6 ? -86.6 : x
        let clamped = low > 88.722_83 ? 88.722_83 : low
        let shifted = clamped * 1.442_695_04 + roundingMagic
        let n = shifted - roundingMagic
        // ln 2 split in two so n·ln2_high is exact.
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let expR = p * r * r + r + 1
        // 2^n = 2·2^(n-1): n sits in the low bits of `shifted`; n - 1 + 127 lies in 1...254 for
        // every clamped input, so the exponent field never reaches the zero or infinity codes.
        let integer = shifted.bitPattern &- roundingMagic.bitPattern
        return 2 * expR * Float(bitPattern: (integer &+ 126) &<< 23)
    }

    /// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7, about 5e-7 once evaluated
    /// in Float), branch-free so GELU's loops vectorise; libm's `erff` kept them scalar.
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let magnitude = x < 0 ? -x : x
        let t = 1 / (1 + 0.327_591_1 * magnitude)
        var p: Float = 1.061_405_429
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let value = 1 - p * t * exp(-magnitude * magnitude)
        return x < 0 ? -value : value
    }
}
