import ArgumentParser
import Braid
import Foundation

/// Which encoders run.
struct EncodeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Encoders by modality, e.g. image=features,text=minilm ('braid encoders' lists them); a model's name or folder works too.",
            valueName: "MODALITY=NAME,..."))
    var encoder: String?

    @Option(
        help: ArgumentHelp(
            "A model folder (HuggingFace layout) or a folder of model folders; default $BRAID_MODELS or ~/.cache/braid/models.",
            valueName: "PATH"))
    var model: String?

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let encoder {
            do { _ = try EncoderRegistry.parseSelection(encoder) } catch {
                throw ValidationError("'--encoder': \(error)")
            }
        }
    }

    var context: EncoderContext { EncoderContext(modelsDirectory: model.map { URL(fileURLWithPath: $0) }) }

    func apply(to job: inout EmbedJob) throws {
        if let encoder { job.encoders = try EncoderRegistry.parseSelection(encoder) }
        compute.apply(to: &job)
    }
}

/// How much of the machine a pipeline's stages may use; shared by `embed` and `classify`.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Items decoded at once, and batches encoded at once; default: one per core.")
    var jobs: Int?

    @Option(help: "Compute threads of the whole run (BLAS and video decoding); default: one per core.")
    var threads: Int?

    @Option(help: "Items per encoder call; neural encoders and classifiers run one batch per forward pass.")
    var batchSize = 32

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("'--jobs' must be at least 1, got \(jobs).") }
        if let threads, threads < 1 { throw ValidationError("'--threads' must be at least 1, got \(threads).") }
        if batchSize < 1 { throw ValidationError("'--batch-size' must be at least 1, got \(batchSize).") }
    }

    func apply(to job: inout EmbedJob) {
        if let jobs {
            job.decodeStage.jobs = jobs
            job.encodeStage.jobs = jobs
        }
        job.threads = threads
        job.batchSize = batchSize
    }
}
