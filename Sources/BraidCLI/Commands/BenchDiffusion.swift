import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand.Bench {
    struct DiffusionLatency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diffusion",
            abstract: "Time 'braid generate' one image at a time, from the prompt to the pixels; print one JSON line.",
            discussion: """
                Each image is drawn alone, as 'braid generate PROMPT' draws one (the model already loaded), after \
                --warmup untimed ones; reports the latency's percentiles in seconds, and the throughput of one batch \
                of --batch images.

                Example:
                  braid bench diffusion --count 20 --steps 50 --guidance 3 --threads 2
                """)

        @Option(help: "The model: a shipped name or a model folder's path.")
        var model = "digits-diffusion"

        @Option(help: "The prompt.")
        var prompt = "a handwritten seven"

        @Option(help: "Images timed one at a time.")
        var count = 20

        @Option(help: "Images drawn before timing starts.")
        var warmup = 2

        @Option(help: "Images drawn together for the throughput figure.")
        var batch = 32

        @OptionGroup(title: "Sampling") var sampling: SamplingFlags

        @Option(help: "Compute threads.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        func run() async throws {
            ThreadBudget.setComputeThreads(threads)
            let model = try TextToImageModel(folder: try ModelLocator.folder(for: model))
            let options = sampling.options
            let tokens = try model.encode(prompt: prompt)
            var seconds: [Double] = []
            for index in 0..<(warmup + count) {
                let start = ContinuousClock.now
                _ = model.generate([(tokens, index)], options: options)
                if index >= warmup { seconds.append((ContinuousClock.now - start).seconds) }
            }
            let start = ContinuousClock.now
            _ = model.generate((0..<batch).map { (tokens, $0) }, options: options)
            let batchSeconds = (ContinuousClock.now - start).seconds
            let sorted = seconds.sorted()
            func percentile(_ share: Double) -> Double { sorted[min(sorted.count - 1, Int(share * Double(sorted.count)))] }
            let result: [String: Double] = [
                "images": Double(sorted.count), "threads": Double(threads), "steps": Double(options.steps),
                "guidance": Double(options.guidance), "mean_s": sorted.reduce(0, +) / Double(sorted.count),
                "p50_s": percentile(0.5), "p90_s": percentile(0.9), "max_s": sorted[sorted.count - 1],
                "batch": Double(batch), "batch_images_per_s": Double(batch) / batchSeconds,
            ]
            let json = JSONEncoder()
            json.outputFormatting = [.sortedKeys]
            print(String(decoding: try json.encode(result), as: UTF8.self))
        }
    }
}
