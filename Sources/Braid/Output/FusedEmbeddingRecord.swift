/// One line of `braid embed --fuse`: `{"id","encoder","parts":["image","audio"],"dim","embedding":[…]}`, the
/// encoder being the fusion model and `parts` the parts the item had.
struct FusedEmbeddingRecord: OutputLine {
    let item: FusedItem
    let model: String
    let format: EmbeddingFormat

    var jsonLine: [UInt8] {
        var line = JSONLine()
        line.append(key: "id", string: item.id)
        line.append(key: "encoder", string: model)
        line.append(key: "parts", strings: item.parts.map(\.rawValue))
        line.append(key: "dim", integer: item.embedding.count)
        line.append(key: "embedding", floats: item.embedding, as: format)
        return line.line
    }
}
