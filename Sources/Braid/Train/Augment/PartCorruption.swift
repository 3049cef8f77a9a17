import BraidTensor

/// What happens to a multimodal example's parts before its encoders see them: noise on the picture, a hidden
/// patch, noise on the sound, or a part taken away. Fusion models train on random corruptions (``PairAugmentation``),
/// so they learn to lean on the clearer part; `braid eval --corrupt` applies one fixed corruption to every test
/// pair, the rows of the README's robustness table, or to every test item of a classifier.
public struct PartCorruption: Codable, Sendable, Equatable {
    /// σ of Gaussian noise added to the pixels (in [0, 1], clipped).
    public var imageNoise: Float = 0
    /// The side of a square hidden at a random place, as a share of the digit's side.
    public var imageOcclusion: Float = 0
    /// White noise this many dB below the sound; nil adds none.
    public var audioSNR: Float?
    /// A part taken away.
    public var drop: Modality?

    public init(imageNoise: Float = 0, imageOcclusion: Float = 0, audioSNR: Float? = nil, drop: Modality? = nil) {
        self.imageNoise = imageNoise
        self.imageOcclusion = imageOcclusion
        self.audioSNR = audioSNR
        self.drop = drop
    }

    enum CodingKeys: String, CodingKey {
        case imageNoise = "image_noise"
        case imageOcclusion = "image_occlusion"
        case audioSNR = "audio_snr_db"
        case drop
    }

    /// Why this corruption cannot apply to a classifier of `modality` alone, or nil when it can: a classifier has
    /// no second part to drop, and noise meant for the other modality would leave its input untouched.
    public func problem(for modality: Modality) -> String? {
        if drop != nil { return "drop applies to a fusion model's pairs, not to a classifier of one modality" }
        let touchesImage = imageNoise > 0 || imageOcclusion > 0
        if modality == .image, audioSNR != nil { return "audio-snr does not apply to an image classifier" }
        if modality == .audio, touchesImage { return "image-noise and occlusion do not apply to a sound classifier" }
        return nil
    }

    /// The seed of the generator that damages the examples of batch `batch` in `braid eval`: the same for a fusion
    /// model's pairs and a classifier's items, so a classifier sees the damage its part of the same pairs gets.
    static func evaluationSeed(batch: Int) -> UInt64 { SeededRNG.derivedSeed(0x636F_7272, UInt64(batch)) }

    /// `parts` corrupted, drawing from `rng`; the image is the encoder's square digit of `side` pixels, the sound
    /// its clip at `sampleRate`. A part is only dropped when the other is there.
    func apply(to parts: PartExamples, side: Int, sampleRate: Int, rng: inout SeededRNG) -> PartExamples {
        var parts = parts
        if let drop, parts.present.count == 2 {
            if drop == .image { parts.image = nil } else { parts.audio = nil }
        }
        if var image = parts.image {
            if imageNoise > 0 { image = Corruption(kind: .gaussian, level: imageNoise).apply(to: image, rng: &rng) }
            if imageOcclusion > 0 { Self.occlude(&image, side: side, share: imageOcclusion, rng: &rng) }
            parts.image = image
        }
        if let audioSNR, var audio = parts.audio {
            AudioAugmentation.addNoise(to: &audio, decibels: audioSNR, pink: false, sampleRate: sampleRate, rng: &rng)
            parts.audio = audio
        }
        return parts
    }

    /// Sets a square of `share × side` pixels at a random place to the background (0).
    private static func occlude(_ image: inout [Float], side: Int, share: Float, rng: inout SeededRNG) {
        let size = min(side, Int((share * Float(side)).rounded()))
        let top = Int(rng.nextUniform() * Float(side - size + 1)) % (side - size + 1)
        let left = Int(rng.nextUniform() * Float(side - size + 1)) % (side - size + 1)
        for row in top..<(top + size) {
            for column in left..<(left + size) { image[row * side + column] = 0 }
        }
    }
}
