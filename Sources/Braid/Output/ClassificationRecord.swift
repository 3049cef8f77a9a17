/// One line of `braid classify` output: `{"id","label","score","top":[{"label","p"}…]}`, keys in this order.
public struct ClassificationRecord: OutputLine, Sendable, Equatable {
    public let id: String
    /// The most probable label.
    public let label: String
    /// Its probability.
    public let score: Float
    /// The most probable labels with their probabilities, best first.
    public let top: [(label: String, probability: Float)]

    /// The record of an item whose model gave `probabilities` over `labels`, keeping the `top` best.
    public init(id: String, labels: [String], probabilities: [Float], top count: Int) {
        let ranked = zip(labels, probabilities).sorted { $0.1 > $1.1 }.prefix(max(1, count))
        self.id = id
        label = ranked.first?.0 ?? ""
        score = ranked.first?.1 ?? 0
        top = ranked.map { (label: $0.0, probability: $0.1) }
    }

    public var jsonLine: [UInt8] {
        var line = JSONLine()
        line.append(key: "id", string: id)
        line.append(key: "label", string: label)
        line.append(key: "score", float: score)
        line.append(
            key: "top",
            objects: top.map { entry in
                var object = JSONLine()
                object.append(key: "label", string: entry.label)
                object.append(key: "p", float: entry.probability)
                return object
            })
        return line.line
    }

    public static func == (a: ClassificationRecord, b: ClassificationRecord) -> Bool {
        a.id == b.id && a.label == b.label && a.score == b.score
            && a.top.elementsEqual(b.top) { $0.label == $1.label && $0.probability == $1.probability }
    }
}
