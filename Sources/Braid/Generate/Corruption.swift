import BraidTensor

/// The noise a denoising autoencoder learns to remove (Vincent et al., "Extracting and Composing Robust Features
/// with Denoising Autoencoders", 2008), and `braid denoise` measures it against. Pixels are in [0, 1].
public struct Corruption: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Adds N(0, level²) to every pixel, then clips to [0, 1].
        case gaussian
        /// Sets a random `level` share of the pixels to 0.
        case masking
        /// Sets a random `level` share of the pixels to 0 or 1, each half the time.
        case saltAndPepper = "salt-and-pepper"
    }

    public var kind: Kind
    /// σ for Gaussian noise; the share of pixels hit for the others.
    public var level: Float

    public init(kind: Kind, level: Float) {
        self.kind = kind
        self.level = level
    }

    /// The noise of the DAE: Gaussian, σ = 0.5.
    public static let standard = Corruption(kind: .gaussian, level: 0.5)

    /// `pixels` corrupted, drawing from `rng`.
    func apply(to pixels: [Float], rng: inout SeededRNG) -> [Float] {
        switch kind {
        case .gaussian:
            return zip(pixels, rng.normals(pixels.count)).map { pixel, noise in min(1, max(0, pixel + level * noise)) }
        case .masking:
            return pixels.map { rng.chance(level) ? 0 : $0 }
        case .saltAndPepper:
            return pixels.map { pixel in
                guard rng.chance(level) else { return pixel }
                return rng.chance(0.5) ? 1 : 0
            }
        }
    }
}
