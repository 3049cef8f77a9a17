import Foundation

/// The Generate stage of text-to-image: each batch of prompts (text items, one per line of a prompts file) is drawn
/// by a diffusion model, `count` images a prompt, in one sampling run; the images are handed to `deliver`, which
/// writes them, and each prompt gets one JSON line `{"id","prompt","files"}`.
public struct TextToImage: EncodeWork {
    /// Receives a prompt's id and its images; returns the files it wrote, for the line.
    public typealias Delivery = @Sendable (_ id: String, _ images: [Image]) throws -> [String]

    public let model: TextToImageModel
    public let options: SamplingOptions
    /// Images per prompt.
    public let count: Int
    let deliver: Delivery

    public init(model: TextToImageModel, options: SamplingOptions, count: Int, deliver: @escaping Delivery) {
        self.model = model
        self.options = options
        self.count = count
        self.deliver = deliver
    }

    public func lines(for batch: [DecodedItem]) throws -> [RenderedLine] {
        let prompts = try batch.map { item in
            guard case .text(let text) = item.media else {
                throw EncodeError.wrongModality(encoder: model.name, expected: .text, got: item.media.modality)
            }
            return text.string.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Encoded first, so an empty prompt fails its item before any sampling.
        let tokens = try prompts.map(model.encode(prompt:))
        let drawn = model.generate(
            tokens.flatMap { prompt in (0..<count).map { (tokens: prompt, index: $0) } }, options: options)
        return try batch.indices.map { row in
            let images = drawn[(row * count)..<((row + 1) * count)].map(\.image)
            return RenderedLine(
                TextToImageRecord(id: batch[row].id, prompt: prompts[row], files: try deliver(batch[row].id, images)))
        }
    }

    public func audioReducer(for modality: Modality) -> (any AudioReducer)? { nil }
}

/// One line of `braid generate --prompts`: `{"id","prompt","files"}`.
struct TextToImageRecord: OutputLine {
    let id: String
    let prompt: String
    let files: [String]

    var jsonLine: [UInt8] {
        var line = JSONLine()
        line.append(key: "id", string: id)
        line.append(key: "prompt", string: prompt)
        line.append(key: "files", strings: files)
        return line.line
    }
}
