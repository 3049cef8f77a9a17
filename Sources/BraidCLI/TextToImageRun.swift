import ArgumentParser
import Braid
import Foundation
import Synchronization

/// What `braid generate --prompts` and a pipeline file's `generate: {job: text-to-image}` share: the lines of a
/// prompts file stream through the pipeline's Decode and Generate stages; each prompt's images are written to the
/// folder as they come (L-K.png) or gathered for the grid (a row per prompt), and one line per prompt goes to
/// standard output.
enum TextToImageRun {
    static func run(
        model: TextToImageModel, prompts: String, count: Int, options: SamplingOptions, images: ImageDestination,
        output: OutputOptions
    ) async throws {
        var job = EmbedJob(origin: .lines(prompts))
        // A batch's prompts are drawn in one sampling run; the model splits larger ones itself.
        job.batchSize = max(1, 32 / count)
        do { try output.apply(to: &job) } catch {
            Diagnostics.report(error)
            throw ExitCode.failure
        }
        try await run(model: model, job: job, count: count, options: options, images: images, output: output)
    }

    /// Runs `generation`, as a pipeline file declares it, on `job`'s input.
    static func run(_ generation: GenerationSpec, job: EmbedJob, output: OutputOptions) async throws {
        let model: TextToImageModel
        do {
            model = try TextToImageModel(folder: try ModelLocator.folder(for: generation.model))
        } catch {
            Diagnostics.report(error)
            throw ExitCode.failure
        }
        var options = generation.sampling
        options.seed = generation.seed
        try await run(
            model: model, job: job, count: generation.count, options: options,
            images: ImageDestination(grid: nil, folder: generation.outDir, columns: nil), output: output)
    }

    private static func run(
        model: TextToImageModel, job: EmbedJob, count: Int, options: SamplingOptions, images: ImageDestination,
        output: OutputOptions
    ) async throws {
        let gathered = Mutex<[(id: String, images: [Image])]>([])
        let gridOnly = images.folder == nil
        let work = TextToImage(model: model, options: options, count: count) { id, drawn in
            if gridOnly {
                gathered.withLock { $0.append((id, drawn)) }
                return []
            }
            return try drawn.enumerated().map { index, image in try images.write(image, named: "\(id)-\(index).png") }
        }
        var failure: (any Error)?
        do {
            try await PipelineRun.execute(output: output) { EmbedPipeline(job: job, work: work) }
        } catch let exit as ExitCode where exit == .failure {
            // Some prompts failed (reported above): the grid still shows the others.
            failure = exit
        }
        let rows = gathered.withLock { $0 }.sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
        if gridOnly, !rows.isEmpty {
            var grid = images
            grid.columns = grid.columns ?? count
            do { try grid.writeGrid(rows.flatMap(\.images)) } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }
        if let failure { throw failure }
    }
}
