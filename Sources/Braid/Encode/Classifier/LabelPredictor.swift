/// What `braid classify` runs: a model that gives each item of its modality a probability per label. A trained
/// ``Classifier`` is one; a CLIP checkpoint with labels written in words (``CLIPZeroShotClassifier``) is another.
public protocol LabelPredictor: Sendable {
    /// How records and errors name the model.
    var name: String { get }
    var modality: Modality { get }
    /// The label names, in the order of `probabilities`.
    var labels: [String] { get }

    /// One probability per label for each item, each row summing to 1.
    /// - Parameter ids: The items' ids, for errors about one of them.
    func probabilities(for media: [Media], ids: [String]) throws -> [[Float]]
}

extension Classifier: LabelPredictor {
    public func probabilities(for media: [Media], ids: [String]) throws -> [[Float]] {
        try predict(media, ids: ids).map(\.probabilities)
    }
}
