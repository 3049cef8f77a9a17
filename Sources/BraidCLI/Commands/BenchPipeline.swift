import ArgumentParser
import AsyncAlgorithms
import Braid
import Foundation

extension BraidCommand.Bench {
    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the embedding stages over a folder, alone or together, and print one JSON line.",
            discussion: """
                --stage decode reads and decodes every item with --jobs decoders and drops the results. \
                --stage encode decodes everything first (untimed), then times the encode stage alone on the \
                decoded items, with the pipeline's batches and --jobs, JSON formatting included. --stage all runs the whole pipeline with its buffers, writing to /dev/null. Comparing \
                the three shows how close the pipeline comes to its slowest stage. scripts/bench-embed runs all \
                three with peak memory from /usr/bin/time.

                Example:
                  braid bench pipeline --stage all photos/
                """)

        enum Stage: String, ExpressibleByArgument, CaseIterable { case decode, encode, all }

        @Argument(help: "The files and folders to embed.")
        var paths: [String]

        @Option(help: "decode, encode or all.")
        var stage: Stage = .all

        @OptionGroup(title: "Encoding") var encoding: EncodeOptions

        func run() async throws {
            var job = EmbedJob(origin: .paths(paths))
            try encoding.apply(to: &job)
            let pipeline = try EmbedPipeline(
                job: job, registry: .withModels(encoding.context), context: encoding.context)
            let clock = ContinuousClock()
            var items = 0
            let elapsed: Duration
            switch stage {
            case .decode:
                let start = clock.now
                items = try await decodeAll(job).count
                elapsed = clock.now - start
            case .encode:
                let decoded = try await decodeAll(job)
                items = decoded.count
                // The encode stage as the pipeline runs it (jobs, batches, buffer), fed from memory.
                let stage = decoded.map { Result<DecodedItem, ItemFailure>.success($0) }.async.batchedItemStage(
                    batchSize: job.batchSize, jobs: job.encodeStage.jobs, bufferSize: job.encodeStage.buffer
                ) { batch in try pipeline.lines(for: batch) }
                let start = clock.now
                for try await _ in stage {}
                elapsed = clock.now - start
            case .all:
                let sink = try JSONLWriter(appendingTo: "/dev/null")
                let start = clock.now
                let summary = try await pipeline.run(output: sink, errors: sink)
                elapsed = clock.now - start
                items = summary.output.written + summary.output.failed
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            print(
                #"{"stage": "\#(stage.rawValue)", "items": \#(items), "seconds": \#(seconds), "items_per_second": \#(Double(items) / seconds)}"#
            )
        }

        /// The decode stage alone: the same source and the same number of concurrent decoders as the pipeline.
        private func decodeAll(_ job: EmbedJob) async throws -> [DecodedItem] {
            let decoder = MediaDecoder(options: job.decoding)
            let stage = ItemSource(job.origin, filter: job.filter).itemStage(
                jobs: job.decodeStage.jobs, bufferSize: job.decodeBufferSize
            ) { item in
                DecodedItem(item: item, media: try decoder.decode(item))
            }
            var decoded: [DecodedItem] = []
            for try await record in stage {
                if case .success(let item) = record { decoded.append(item) }
            }
            return decoded
        }
    }
}
