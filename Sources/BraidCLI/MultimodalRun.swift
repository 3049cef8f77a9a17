import Braid

/// What `caption`, `embed --fuse` and a pipeline file's `fuse:` and `generate: {job: caption}` share: items of an
/// image and a sound go through the Decode, Encode and Fuse stages, then are captioned or written as fused
/// embeddings.
enum MultimodalRun {
    static func caption(model name: String, beam: Int, job: EmbedJob, output: OutputOptions) async throws {
        try await PipelineRun.execute(output: output) {
            let model = try CaptionModel(named: name)
            return EmbedPipeline(
                job: job,
                multimodal: MultimodalWork(fusion: model.fusion, generator: Captioning(model: model, beam: beam)))
        }
    }

    static func fuse(model name: String, job: EmbedJob, output: OutputOptions) async throws {
        try await PipelineRun.execute(output: output) {
            EmbedPipeline(job: job, multimodal: MultimodalWork(fusion: try Fusion(named: name)))
        }
    }

    /// The input of a multimodal pipeline given on the command line: a `.jsonl` file is records of parts, anything
    /// else a video or a single part.
    static func origin(of inputs: [String]) -> ItemSource.Origin {
        if inputs.count == 1, let only = inputs.first, only.hasSuffix(".jsonl") { return .records(only) }
        return .paths(inputs)
    }
}
