import BraidTensor
import Foundation

/// The two trained classifiers that describe a multimodal item's parts for the fusion stages: one for what it
/// shows, one for what it sounds like. They stay frozen while a fusion or caption model trains on top of them.
///
/// Both must label the same classes in the same order, since late fusion adds their opinions class by class.
public struct PartEncoders: Sendable {
    /// The model names as `config.json` records them: `{"image": "handwritten-digits", "audio": "spoken-digits"}`.
    public struct Names: Codable, Sendable, Equatable {
        public var image: String
        public var audio: String

        public init(image: String = "handwritten-digits", audio: String = "spoken-digits") {
            self.image = image
            self.audio = audio
        }
    }

    let image: Classifier
    let audio: Classifier
    public let names: Names

    /// Loads both classifiers by name or path.
    /// - Throws: `ModelError` when either cannot be loaded, is of the wrong modality, or they label different
    ///   classes.
    public init(_ names: Names, modelsDirectory: URL? = nil) throws {
        image = try Classifier(named: names.image, modelsDirectory: modelsDirectory)
        audio = try Classifier(named: names.audio, modelsDirectory: modelsDirectory)
        self.names = names
        for (classifier, modality) in [(image, Modality.image), (audio, .audio)] where classifier.modality != modality {
            throw ModelError(
                classifier.name, .invalid("given as the \(modality) encoder, but it classifies \(classifier.modality)"))
        }
        guard image.labels == audio.labels else {
            throw ModelError(
                audio.name,
                .invalid(
                    "labels \(audio.labels.joined(separator: ",")) differ from \(image.name)'s \(image.labels.joined(separator: ","))"
                ))
        }
    }

    /// The classes both encoders label.
    public var labels: [String] { image.labels }

    /// Corrupts `parts` as `corruption` says, drawing from `rng`.
    func corrupt(_ parts: PartExamples, by corruption: PartCorruption, rng: inout SeededRNG) -> PartExamples {
        corruption.apply(to: parts, side: image.imageSide, sampleRate: audio.sampleRate, rng: &rng)
    }

    /// What each front end keeps of an item's parts: a centred digit, a clip at the model's rate.
    func examples(of parts: MediaParts, id: String) throws -> PartExamples {
        PartExamples(
            image: try parts.image.map { try image.example(from: .image($0), id: id) },
            audio: try parts.audio.map { try audio.example(from: .audio($0), id: id) })
    }

    /// One forward pass of each encoder over the parts present in the batch, with their tokens.
    func encode(_ batch: [PartExamples]) throws -> [EncodedParts] {
        let imageRows = batch.indices.filter { batch[$0].image != nil }
        let audioRows = batch.indices.filter { batch[$0].audio != nil }
        let images = try image.predict(examples: imageRows.map { batch[$0].image ?? [] }, tokens: true)
        let sounds = try audio.predict(examples: audioRows.map { batch[$0].audio ?? [] }, tokens: true)
        var encoded = [EncodedParts](repeating: EncodedParts(), count: batch.count)
        for (row, prediction) in zip(imageRows, images) { encoded[row].image = prediction }
        for (row, prediction) in zip(audioRows, sounds) { encoded[row].audio = prediction }
        return encoded
    }

    /// A batch of encoded items as the tensors the fusion stages take.
    func features(of batch: [EncodedParts]) -> PartFeatures {
        PartFeatures(
            image: .init(batch.map(\.image), tokenShape: image.tokenShape, width: image.embeddingSize, classes: labels.count),
            audio: .init(batch.map(\.audio), tokenShape: audio.tokenShape, width: audio.embeddingSize, classes: labels.count))
    }
}

/// What the part encoders say about one item's parts; nil for a missing part.
public struct EncodedParts: Sendable, Equatable {
    public var image: Classifier.Prediction?
    public var audio: Classifier.Prediction?
}

/// One item's parts as the encoders' front ends keep them; nil for a missing part.
public struct PartExamples: Sendable, Equatable {
    public var image: [Float]?
    public var audio: [Float]?

    public init(image: [Float]? = nil, audio: [Float]? = nil) {
        self.image = image
        self.audio = audio
    }

    /// The parts present, image first.
    public var present: [Modality] { (image == nil ? [] : [.image]) + (audio == nil ? [] : [.audio]) }
}
