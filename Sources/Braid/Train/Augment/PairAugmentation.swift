import BraidTensor

/// The random damage done to a multimodal training pair before its encoders see it, so a fusion model learns which
/// part to trust: each kind with its probability and range, drawn afresh for every pair of every epoch.
///
/// In order, each with its range:
/// - Image noise, with probability `imageNoiseProbability`: Gaussian, σ uniform in `imageNoise` (pixel units).
/// - Occlusion, with probability `occlusionProbability`: a square of a share uniform in `occlusionShare` of the
///   side, at a random place, set to the background.
/// - Audio noise, with probability `audioNoiseProbability`: white, at an SNR uniform in `audioSNR` dB.
/// - A part dropped, with probability `dropProbability`: the image or the sound, equally likely.
///
/// A kind whose probability is 0 draws nothing from the generator, so a mix without it repeats, pair for pair, the
/// draws of one that never had it.
public struct PairAugmentation: Codable, Sendable, Equatable {
    /// Each part clean half the time, else noisy over a range that reaches past where its classifier still reads it
    /// (σ up to 1.5, a square up to 70% of the side, SNR down to −15 dB); one part dropped 30% of the time.
    public var imageNoiseProbability: Float = 0.5
    public var imageNoise: [Float] = [0, 1.5]
    public var occlusionProbability: Float = 0.25
    public var occlusionShare: [Float] = [0.3, 0.7]
    public var audioNoiseProbability: Float = 0.5
    public var audioSNR: [Float] = [-15, 20]
    public var dropProbability: Float = 0.3

    public init() {}

    enum CodingKeys: String, CodingKey {
        case imageNoiseProbability = "image_noise_probability"
        case imageNoise = "image_noise"
        case occlusionProbability = "occlusion_probability"
        case occlusionShare = "occlusion_share"
        case audioNoiseProbability = "audio_noise_probability"
        case audioSNR = "audio_snr_db"
        case dropProbability = "drop_probability"
    }

    /// Why these settings cannot be used, or nil.
    var problem: String? {
        typealias Check = AugmentationBounds
        let problems: [String?] = [
            Check.probability(imageNoiseProbability, "pairs.image_noise_probability"),
            Check.range(imageNoise, "pairs.image_noise", within: 0...10),
            Check.probability(occlusionProbability, "pairs.occlusion_probability"),
            Check.range(occlusionShare, "pairs.occlusion_share", within: 0...1),
            Check.probability(audioNoiseProbability, "pairs.audio_noise_probability"),
            Check.range(audioSNR, "pairs.audio_snr_db", within: -60...120),
            Check.probability(dropProbability, "pairs.drop_probability"),
        ]
        return problems.lazy.compactMap { $0 }.first
    }

    /// One pair's damage.
    func draw(rng: inout SeededRNG) -> PartCorruption {
        func happens(_ probability: Float) -> Bool { probability > 0 && rng.chance(probability) }
        var corruption = PartCorruption()
        if happens(imageNoiseProbability) { corruption.imageNoise = rng.uniform(imageNoise[0], imageNoise[1]) }
        if happens(occlusionProbability) {
            corruption.imageOcclusion = rng.uniform(occlusionShare[0], occlusionShare[1])
        }
        if happens(audioNoiseProbability) { corruption.audioSNR = rng.uniform(audioSNR[0], audioSNR[1]) }
        if happens(dropProbability) { corruption.drop = rng.chance(0.5) ? .image : .audio }
        return corruption
    }
}
