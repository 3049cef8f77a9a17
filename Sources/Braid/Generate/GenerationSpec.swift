/// A pipeline's Generate stage as a pipeline file declares it: which generative model redraws or scores each image,
/// captions each multimodal item, or draws images from each line of prompts, and where the images go.
///
/// ```yaml
/// generate:
///   model: digits-dae        # a shipped name or a model folder
///   job: denoise             # reconstruct, denoise, score, caption or text-to-image
///   out_dir: clean/          # one PNG per input (reconstruct, denoise); L-K.png per prompt (text-to-image)
///   add_noise: false         # denoise: add the model's own noise first
///   seed: 0                  # seeds that noise, or text-to-image's
///   beam: 3                  # caption: beams of the beam search
///   n: 4                     # text-to-image: images per prompt
///   steps: 50                # text-to-image: DDIM steps
///   guidance: 3              # text-to-image: classifier-free guidance
/// ```
public struct GenerationSpec: Sendable, Equatable {
    public enum Job: String, Sendable, CaseIterable {
        case reconstruct, denoise, score, caption
        case textToImage = "text-to-image"
    }

    public var model: String
    public var job: Job
    /// Where `reconstruct` and `denoise` write one PNG per item.
    public var outDir: String?
    public var addNoise = false
    public var seed: UInt64 = 0
    public var beam = 3
    /// Images per prompt (text-to-image).
    public var count = 1
    /// The sampler's settings (text-to-image), but for its seed, which is `seed`.
    public var sampling = SamplingOptions()

    public init(model: String, job: Job, outDir: String? = nil) {
        self.model = model
        self.job = job
        self.outDir = outDir
    }
}
