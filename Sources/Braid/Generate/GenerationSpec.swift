/// A pipeline's Generate stage as a pipeline file declares it: which generative model redraws or scores each image,
/// or captions each multimodal item, and where the redrawn images go.
///
/// ```yaml
/// generate:
///   model: digits-dae        # a shipped name or a model folder
///   job: denoise             # reconstruct, denoise, score or caption
///   out_dir: clean/          # one PNG per input (reconstruct, denoise)
///   add_noise: false         # denoise: add the model's own noise first
///   seed: 0                  # seeds that noise
///   beam: 3                  # caption: beams of the beam search
/// ```
public struct GenerationSpec: Sendable, Equatable {
    public enum Job: String, Sendable, CaseIterable {
        case reconstruct, denoise, score, caption
    }

    public var model: String
    public var job: Job
    /// Where `reconstruct` and `denoise` write one PNG per item.
    public var outDir: String?
    public var addNoise = false
    public var seed: UInt64 = 0
    public var beam = 3

    public init(model: String, job: Job, outDir: String? = nil) {
        self.model = model
        self.job = job
        self.outDir = outDir
    }
}
