import Foundation
import Synchronization

/// The Generate stage of `braid reconstruct`, `denoise` and `score`: each batch of decoded images goes through a
/// generative model in one pass. Reconstructions are handed to `deliver` (which writes or gathers them) and each
/// item gets one JSON line.
public struct Generation: EncodeWork {
    public enum Job: Sendable {
        /// Redraw each image; with `corrupting`, first add the model's own noise (seeded by `seed` and the item's
        /// position in its batch), so the output shows noisy beside denoised.
        case reconstruct(corrupting: Bool, seed: UInt64)
        /// Report how well the model explains each image (``GenerativeModel/scores(_:draws:seed:)``).
        case score
    }

    /// Receives an item's id, its input as the model read it and its reconstruction; returns the file it wrote, if
    /// any, for the item's line.
    public typealias Delivery = @Sendable (_ id: String, _ input: Image, _ output: Image) throws -> String?

    public let model: GenerativeModel
    public let job: Job
    let deliver: Delivery?

    public init(model: GenerativeModel, job: Job, deliver: Delivery? = nil) {
        self.model = model
        self.job = job
        self.deliver = deliver
    }

    public func lines(for batch: [DecodedItem]) throws -> [RenderedLine] {
        if let other = batch.first(where: { $0.media.modality != .image }) {
            throw EncodeError.wrongModality(encoder: model.name, expected: .image, got: other.media.modality)
        }
        let media = batch.map(\.media)
        switch job {
        case .score:
            return zip(batch, try model.scores(media)).map { item, figures in
                RenderedLine(GenerationRecord(id: item.id, figures: figures))
            }
        case .reconstruct(let corrupting, let seed):
            let (outputs, inputs) = try model.reconstruct(media, corrupting: corrupting, seed: seed)
            return try batch.indices.map { index in
                let file = try deliver?(batch[index].id, inputs[index], outputs[index])
                return RenderedLine(GenerationRecord(id: batch[index].id, file: file))
            }
        }
    }

    public func audioReducer(for modality: Modality) -> (any AudioReducer)? { nil }
}

/// One line of `braid reconstruct`, `denoise` or `score`: `{"id","file",…figures}`, the figures in name order.
struct GenerationRecord: OutputLine {
    let id: String
    var file: String?
    var figures: [String: Double] = [:]

    var jsonLine: [UInt8] {
        var line = JSONLine()
        line.append(key: "id", string: id)
        if let file { line.append(key: "file", string: file) }
        for (name, value) in figures.sorted(by: { $0.key < $1.key }) { line.append(key: name, float: Float(value)) }
        return line.line
    }
}
