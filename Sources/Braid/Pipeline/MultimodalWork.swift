/// What a pipeline of multimodal items does after decoding: the Encode and Fuse stages of `fusion`, then the
/// Generate stage of `generator`, or, without one, each item's fused embedding as its line (`braid embed --fuse`).
public struct MultimodalWork: Sendable {
    public let fusion: Fusion
    public let generator: (any Generator)?

    public init(fusion: Fusion, generator: (any Generator)? = nil) {
        self.fusion = fusion
        self.generator = generator
    }
}

/// The Generate stage's work: one output line per fused item, in the batch's order.
public protocol Generator: Sendable {
    /// - Throws: When the batch as a whole fails; the stage then retries its items one by one.
    func lines(for batch: [FusedItem]) throws -> [RenderedLine]
}
