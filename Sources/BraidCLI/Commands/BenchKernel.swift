import ArgumentParser
import BraidTensor
import Foundation

extension BraidCommand.Bench {
    struct Kernel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a tensor kernel and print one JSON line with its GFLOP/s.",
            discussion: """
                matmul: (N, N)·(N, N), forward. conv2d: 3×3, 64→64 channels, padding 1 on (8, 64, N, N), \
                forward and backward. attention: B=4, H=8, T=N, D=64 self-attention, forward and backward. \
                scripts/bench-tensor-peers.py times the same shapes in NumPy and PyTorch.

                Example:
                  braid bench matmul --size 2048 --threads 2
                """)

        @Argument(help: "The kernel: \(TensorBenchmark.Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
        var op: String

        @Option(help: "N, the size that scales the workload (see the discussion).")
        var size: Int = 512

        @Option(help: "BLAS compute threads.")
        var threads: Int = 1

        @Option(help: "Keep timing for at least this many seconds (at least 5 iterations).")
        var seconds: Double = 1

        func validate() throws {
            guard TensorBenchmark.Workload(rawValue: op) != nil else {
                throw ValidationError("'\(op)' is not a benchmark; use one of matmul, conv2d, attention")
            }
            guard size >= 1 else { throw ValidationError("'--size' must be at least 1") }
            guard threads >= 1 else { throw ValidationError("'--threads' must be at least 1") }
        }

        func run() throws {
            guard let workload = TensorBenchmark.Workload(rawValue: op) else { throw ExitCode.validationFailure }
            let measurement = TensorBenchmark.measure(workload, size: size, threads: threads, minimumSeconds: seconds)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(measurement), as: UTF8.self))
        }
    }
}
