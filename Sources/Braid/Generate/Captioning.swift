/// The Generate stage of `braid caption`: a caption model's decoder writes each fused item's caption, beam search
/// over `beam` beams (1: greedy).
public struct Captioning: Generator {
    public let model: CaptionModel
    public let beam: Int

    public init(model: CaptionModel, beam: Int) {
        self.model = model
        self.beam = beam
    }

    public func lines(for batch: [FusedItem]) throws -> [RenderedLine] {
        zip(batch, model.captions(batch, beam: beam)).map { item, caption in
            RenderedLine(CaptionRecord(id: item.id, caption: caption, parts: item.parts))
        }
    }
}

/// One line of `braid caption`: `{"id","caption","tokens":[{"text","p"}…],"parts":["image","audio"]}`.
struct CaptionRecord: OutputLine {
    let id: String
    let caption: CaptionModel.Caption
    let parts: [Modality]

    var jsonLine: [UInt8] {
        var line = JSONLine()
        line.append(key: "id", string: id)
        line.append(key: "caption", string: caption.text)
        line.append(
            key: "tokens",
            objects: caption.words.map { word in
                var token = JSONLine()
                token.append(key: "text", string: word.text)
                token.append(key: "p", float: word.probability)
                return token
            })
        line.append(key: "parts", strings: parts.map(\.rawValue))
        return line.line
    }
}
