import CTensorKernels
import Foundation

/// A small, seeded pseudo-random generator, so initialisation, dropout and sampling noise repeat
/// bit for bit across runs and machines.
///
/// xoshiro256** (Blackman & Vigna, "Scrambled Linear Pseudorandom Number Generators", 2018), its
/// state filled from the seed by splitmix64 as the authors recommend. Normals use Box–Muller.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    /// The second normal of the last Box–Muller pair, handed out on the next call.
    private var spareNormal: Float?

    /// Creates a generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            return Self.mix(mixer)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// A seed for an independent stream derived from `seed` and a path of integers (epoch, batch, example), so
    /// work split across threads or resumed half-way draws the same numbers as one pass would.
    public static func derivedSeed(_ seed: UInt64, _ path: UInt64...) -> UInt64 {
        path.reduce(Self.mix(seed)) { Self.mix($0 ^ Self.mix($1 &+ 0x9E37_79B9_7F4A_7C15)) }
    }

    /// splitmix64's finaliser: a bijection that spreads every input bit over the output.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, by: 45)
        return result
    }

    /// A uniform sample in `[0, 1)` with 24 random bits (every Float32 step of that range).
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform sample in `[low, high)`.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Float) -> Bool {
        nextUniform() < probability
    }

    /// A standard normal sample (Box–Muller; computed in Double, then rounded).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let (first, second) = nextNormalPair()
        spareNormal = second
        return first
    }

    /// Two independent standard normal samples from one Box–Muller step: the cosine's, then the sine's.
    private mutating func nextNormalPair() -> (Float, Float) {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2.0 * log(u1)).squareRoot()
        // glibc's sincos: sin's and cos's values, bit for bit, from one argument reduction.
        var (sine, cosine) = (0.0, 0.0)
        braid_sincos(2.0 * Double.pi * u2, &sine, &cosine)
        return (Float(radius * cosine), Float(radius * sine))
    }

    /// Fills `buffer` with standard normal samples: the values that as many calls of ``nextNormal()`` would give,
    /// in order, without a call and a check of the spare per value (a denoising autoencoder's noise, 100,352 values
    /// a batch, took over a third of its training's time one call at a time, with sin and cos apart).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var index = 0
        if let spare = spareNormal, !buffer.isEmpty {
            spareNormal = nil
            buffer[0] = spare
            index = 1
        }
        while index < buffer.count {
            let (first, second) = nextNormalPair()
            buffer[index] = first
            if index + 1 < buffer.count { buffer[index + 1] = second } else { spareNormal = second }
            index += 2
        }
    }

    /// `count` standard normal samples, as ``fillNormal(_:)`` draws them.
    public mutating func normals(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillNormal(buffer)
            initialized = count
        }
    }

    private func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }
}
