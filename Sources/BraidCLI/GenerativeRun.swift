import ArgumentParser
import Braid
import Foundation
import Synchronization

/// What `reconstruct`, `denoise`, `score` and a pipeline file's `generate:` share: the inputs stream through the
/// pipeline's Decode and Generate stages, each output is written to the folder as it comes (named after its input)
/// or gathered for the grid, and one line per item goes to standard output.
enum GenerativeRun {
    /// Runs `generation`, as a pipeline file declares it, on `job`'s input.
    static func run(_ generation: GenerationSpec, job: EmbedJob, output: OutputOptions) async throws {
        switch generation.job {
        case .score:
            try await score(model: generation.model, job: job, output: output)
        case .textToImage:
            try await TextToImageRun.run(generation, job: job, output: output)
        case .caption:
            try await MultimodalRun.caption(model: generation.model, beam: generation.beam, job: job, output: output)
        case .reconstruct, .denoise:
            try await reconstruct(
                model: generation.model, job: job, output: output,
                images: ImageDestination(grid: nil, folder: generation.outDir, columns: nil),
                corrupting: generation.addNoise, seed: generation.seed, withInputs: false)
        }
    }

    static func score(model name: String, job: EmbedJob, output: OutputOptions) async throws {
        try await PipelineRun.execute(output: output) {
            EmbedPipeline(
                job: job, work: Generation(model: try GenerativeModel(folder: try ModelLocator.folder(for: name)), job: .score))
        }
    }

    static func reconstruct(
        model name: String, job: EmbedJob, output: OutputOptions, images: ImageDestination, corrupting: Bool,
        seed: UInt64, withInputs: Bool
    ) async throws {
        let gathered = Mutex<[(id: String, images: [Image])]>([])
        let gridOnly = images.folder == nil
        let deliver: Generation.Delivery = { id, input, output in
            if gridOnly {
                gathered.withLock { $0.append((id, withInputs ? [input, output] : [output])) }
                return nil
            }
            let name = outputName(for: id)
            if withInputs { _ = try images.write(input, named: "input-" + name) }
            return try images.write(output, named: name)
        }
        var failure: (any Error)?
        do {
            try await PipelineRun.execute(output: output) {
                let folder = try ModelLocator.folder(for: name)
                let model = try GenerativeModel(folder: folder)
                return EmbedPipeline(
                    job: job, work: Generation(model: model, job: .reconstruct(corrupting: corrupting, seed: seed), deliver: deliver))
            }
        } catch let exit as ExitCode where exit == .failure {
            // Some items failed (reported above): the grid still shows the others.
            failure = exit
        }
        let tiles = gathered.withLock { $0 }.sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
        if gridOnly, !tiles.isEmpty {
            do { try images.writeGrid(tiles.flatMap(\.images), group: withInputs ? 2 : 1) } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }
        if let failure { throw failure }
    }

    /// The PNG an item's output is written as: its file's name with `.png` for its extension; an IDX record's
    /// `FILE#INDEX` becomes `FILE-INDEX.png`.
    static func outputName(for id: String) -> String {
        let name = (id as NSString).lastPathComponent
        guard let hash = name.lastIndex(of: "#") else { return (name as NSString).deletingPathExtension + ".png" }
        let file = (String(name[..<hash]) as NSString).deletingPathExtension
        return "\(file)-\(name[name.index(after: hash)...]).png"
    }
}
