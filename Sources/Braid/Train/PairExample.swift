import BraidTensor

/// How a multimodal example's parts travel as one example's values through ``ExampleSet``: the image's length and
/// the sound's length (0 for a missing part), then the image's values, then the sound's.
enum PairExample {
    static func values(of parts: PartExamples) -> [Float] {
        let (image, audio) = (parts.image ?? [], parts.audio ?? [])
        return [Float(image.count), Float(audio.count)] + image + audio
    }

    static func parts(of values: [Float]) -> PartExamples {
        let (imageCount, audioCount) = (Int(values[0]), Int(values[1]))
        let image = values[2..<(2 + imageCount)]
        let audio = values[(2 + imageCount)..<(2 + imageCount + audioCount)]
        return PartExamples(image: imageCount > 0 ? Array(image) : nil, audio: audioCount > 0 ? Array(audio) : nil)
    }

    /// The front end of a model over `encoders`' parts: the item's parts decoded, each made into its encoder's
    /// example.
    static func frontEnd(_ encoders: PartEncoders) -> ExampleSet.FrontEnd {
        { item, decoder in values(of: try encoders.examples(of: try decoder.decodeParts(item), id: item.id)) }
    }

    /// The features of a batch of examples, each corrupted first when `corruption` gives one: from a generator seeded
    /// by `seed` and the example's place in the batch, so the batch is the same whichever thread builds it.
    static func features(
        of examples: [Example], encoders: PartEncoders, seed: UInt64, corruption: ((inout SeededRNG) -> PartCorruption)?
    ) throws -> PartFeatures {
        let parts = examples.enumerated().map { index, example in
            let parts = Self.parts(of: example.values)
            guard let corruption else { return parts }
            var rng = SeededRNG(seed: SeededRNG.derivedSeed(seed, UInt64(index)))
            return encoders.corrupt(parts, by: corruption(&rng), rng: &rng)
        }
        return encoders.features(of: try encoders.encode(parts))
    }
}
