import ArgumentParser
import Braid
import BraidTensor

extension BraidCommand.Bench {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time exact search over stored vectors and print one JSON line: {\"seconds\", \"queries\"}.",
            discussion: """
                Searches the index (a '--db' database, an '--npy' folder or JSON lines) for --queries seeded random \
                vectors of its dimension, --repeat times after one untimed run, with no encoder involved: the time \
                is reading the stored vectors, one GEMM per block and keeping the best --top. \
                scripts/bench-search runs this beside FAISS's IndexFlatIP and NumPy on the same vectors.

                Example:
                  braid bench search --index vectors/ --queries 100 --top 10 --repeat 3
                """)

        @Option(help: "The stored vectors.")
        var index: String

        @Option(help: "Random queries per search.")
        var queries = 100

        @Option(help: "Matches per query.")
        var top = 10

        @Option(help: "The collection or encoder folder, when the index holds several.")
        var collection: String?

        @Option(name: .customLong("repeat"), help: "Timed searches.")
        var repetitions = 3

        func run() throws {
            let vectors = try StoredVectors(path: index, collection: collection)
            let dimension = try vectors.dimension()
            var generator = SeededRNG(seed: 2026)
            let queryVectors = (0..<queries).map { _ in
                (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            }
            let search = ExactSearch(top: top)
            _ = try search.search(queryVectors, in: vectors)
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                for _ in 0..<repetitions { _ = try search.search(queryVectors, in: vectors) }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            print(#"{"seconds": \#(seconds / Double(repetitions)), "queries": \#(queries)}"#)
        }
    }
}
