import Foundation

/// Zero-shot image classification with CLIP: each label, put into a prompt template, is embedded by the text
/// tower once; an image's probabilities are the softmax of its cosine to each label's text, times the checkpoint's
/// logit scale (transformers' `logits_per_image.softmax(dim=1)`).
public struct CLIPZeroShotClassifier: LabelPredictor {
    public let name: String
    public let modality = Modality.image
    public let labels: [String]
    let images: CLIPEncoder
    /// The unit-length text vector of each label's prompt.
    let labelVectors: [[Float]]

    /// The template CLIP's zero-shot evaluations use least: the label as written.
    public static let plainTemplate = "{}"

    /// - Parameters:
    ///   - labels: Label names, at least two, distinct.
    ///   - template: The prompt, with `{}` where the label goes ("a photo of {}.").
    /// - Throws: `EncodeError.invalidSelection` for fewer than two labels, a repeated or empty one, or a template
    ///   without `{}`.
    public init(name: String, checkpoint: CLIPCheckpoint, labels: [String], template: String = plainTemplate) throws {
        guard labels.count >= 2, Set(labels).count == labels.count, labels.allSatisfy({ !$0.isEmpty }) else {
            throw EncodeError.invalidSelection(
                labels.joined(separator: ","), reason: "zero-shot classification needs two or more distinct labels")
        }
        guard template.contains("{}") else {
            throw EncodeError.invalidSelection(template, reason: "the prompt template needs '{}' where the label goes")
        }
        self.name = name
        self.labels = labels
        images = CLIPEncoder(name: name, modality: .image, checkpoint: checkpoint)
        let texts = CLIPEncoder(name: name, modality: .text, checkpoint: checkpoint)
        labelVectors = texts.embed(texts: labels.map { template.replacingOccurrences(of: "{}", with: $0) })
    }

    public func probabilities(for media: [Media], ids: [String]) throws -> [[Float]] {
        let scale = images.checkpoint.model.logitScale
        return try images.encode(media).map { image in
            let logits = labelVectors.map { label in scale * zip(image, label).reduce(0) { $0 + $1.0 * $1.1 } }
            let peak = logits.max() ?? 0
            let exponentials = logits.map { Foundation.exp($0 - peak) }
            let total = exponentials.reduce(0, +)
            return exponentials.map { $0 / total }
        }
    }
}
