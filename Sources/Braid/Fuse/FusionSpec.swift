/// A pipeline's Fuse stage as a pipeline file declares it: the fusion model that joins each multimodal item's parts.
///
/// ```yaml
/// fuse:
///   model: cross             # early, late, cross (the shipped fusion models) or a fusion model's folder
/// ```
///
/// Without a `generate: {job: caption}` section, each item's line is its fused embedding, as with
/// `braid embed --fuse`. A caption model fuses with its own cross-attention, so beside one, `fuse.model` may only
/// name that caption model.
public struct FusionSpec: Sendable, Equatable {
    public var model: String

    public init(model: String) {
        self.model = model
    }
}
