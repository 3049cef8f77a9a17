import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand.Bench {
    struct CaptionLatency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "caption",
            abstract: "Time captions one pair at a time, from the files' bytes to the caption; print one JSON line.",
            discussion: """
                Each record {"id","image","audio"} is decoded, encoded, fused and captioned alone, as a caller with \
                one pair at a time would, after --warmup untimed pairs; reports the latency's percentiles in \
                milliseconds. For throughput over many pairs, run 'braid caption --records FILE --stats'.

                Example:
                  braid bench caption --records .build/pairs/caption-test.jsonl --count 1000 --threads 2
                """)

        @Option(help: ArgumentHelp("Records {\"id\",\"image\",\"audio\"} to caption.", valueName: "FILE"))
        var records: String

        @Option(help: "The caption model: a shipped name or a model folder's path.")
        var model = Braid.CaptionModel.defaultName

        @Option(help: "Pairs timed (the first ones of the file after the warm-up).")
        var count = 1000

        @Option(help: "Pairs captioned before timing starts.")
        var warmup = 20

        @Option(help: "Beams of the beam search.")
        var beam = 3

        @Option(help: "Compute threads.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        func run() async throws {
            ThreadBudget.setComputeThreads(threads)
            let model = try Braid.CaptionModel(named: model)
            var items: [Item] = []
            for try await record in ItemSource(.records(records)) where items.count < warmup + count {
                if case .success(let item) = record { items.append(item) }
            }
            var milliseconds: [Double] = []
            for (index, item) in items.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try model.caption(item, beam: beam)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                if index >= warmup { milliseconds.append(elapsed) }
            }
            guard !milliseconds.isEmpty else { throw ValidationError("'\(records)' holds no more than \(warmup) pairs") }
            let sorted = milliseconds.sorted()
            func percentile(_ share: Double) -> Double { sorted[min(sorted.count - 1, Int(share * Double(sorted.count)))] }
            let result: [String: Double] = [
                "pairs": Double(sorted.count), "threads": Double(threads), "beam": Double(beam),
                "mean_ms": sorted.reduce(0, +) / Double(sorted.count), "p50_ms": percentile(0.5),
                "p90_ms": percentile(0.9), "p99_ms": percentile(0.99), "max_ms": sorted[sorted.count - 1],
            ]
            let json = JSONEncoder()
            json.outputFormatting = [.sortedKeys]
            print(String(decoding: try json.encode(result), as: UTF8.self))
        }
    }
}
