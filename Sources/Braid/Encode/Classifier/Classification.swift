/// The encode stage of `braid classify`: each batch goes through a classifier in one forward pass and each item
/// becomes a ``ClassificationRecord``.
public struct Classification: EncodeWork {
    public let classifier: any LabelPredictor
    /// How many labels each record lists.
    public let top: Int

    public init(classifier: any LabelPredictor, top: Int) {
        self.classifier = classifier
        self.top = top
    }

    public func lines(for batch: [DecodedItem]) throws -> [RenderedLine] {
        if let other = batch.first(where: { $0.media.modality != classifier.modality }) {
            throw EncodeError.wrongModality(
                encoder: classifier.name, expected: classifier.modality, got: other.media.modality)
        }
        let predictions = try classifier.probabilities(for: batch.map(\.media), ids: batch.map(\.id))
        return zip(batch, predictions).map { item, probabilities in
            RenderedLine(
                ClassificationRecord(id: item.id, labels: classifier.labels, probabilities: probabilities, top: top))
        }
    }

    /// The classifier needs the samples themselves, to find the word in the clip.
    public func audioReducer(for modality: Modality) -> (any AudioReducer)? { nil }
}
