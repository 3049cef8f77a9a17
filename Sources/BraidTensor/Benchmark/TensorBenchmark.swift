import Foundation

/// The workloads behind `braid bench`, sized like `scripts/bench-tensor-peers.py` runs them in
/// NumPy and PyTorch, so the two sides time the same arithmetic.
public enum TensorBenchmark {
    /// What to time.
    public enum Workload: String, CaseIterable, Sendable {
        /// (N, N) · (N, N), forward only: the raw sgemm rate.
        case matmul
        /// A 3×3, 64→64 channel, padding-1 convolution on (8, 64, N, N), forward and backward.
        case conv2d
        /// Self-attention with B = 4, H = 8, T = N, D = 64, forward and backward.
        case attention
    }

    /// One timing, printed by `braid bench` as a JSON line.
    public struct Measurement: Encodable, Sendable {
        public let op: String
        public let shape: [Int]
        public let threads: Int
        /// Median wall time of one iteration.
        public let seconds: Double
        /// Useful floating-point work per second (multiply-adds count as 2), in 10⁹.
        public let gflops: Double
    }

    /// Times `workload` at `size`: one warm-up iteration, then at least five iterations and at
    /// least `minimumSeconds` in total; reports the median.
    public static func measure(_ workload: Workload, size: Int, threads: Int, minimumSeconds: Double = 1) -> Measurement
    {
        ThreadBudget.setComputeThreads(threads)
        var rng = SeededRNG(seed: 1)
        let (shape, flops, iteration): ([Int], Double, () -> Void)
        switch workload {
        case .matmul:
            let a = Tensor.randomNormal([size, size], using: &rng)
            let b = Tensor.randomNormal([size, size], using: &rng)
            shape = [size, size, size]
            flops = 2 * pow(Double(size), 3)
            iteration = { _ = withNoGrad { Tensor.matmul(a, b) } }
        case .conv2d:
            let (batch, channels) = (8, 64)
            let x = Tensor.randomNormal([batch, channels, size, size], using: &rng)
            let weight = Tensor.randomNormal([channels, channels, 3, 3], standardDeviation: 0.05, using: &rng)
            let bias = Tensor.zeros([channels])
            for tensor in [x, weight, bias] { tensor.requiresGrad = true }
            shape = [batch, channels, size, size]
            // Forward, input gradient and weight gradient: three GEMMs of the same size.
            flops = 3 * 2 * Double(batch * channels * channels * 9 * size * size)
            iteration = {
                Tensor.conv2d(x, weight: weight, bias: bias, padding: 1).sum().backward()
                for tensor in [x, weight, bias] { tensor.grad = nil }
            }
        case .attention:
            let (batch, heads, headSize) = (4, 8, 64)
            let q = Tensor.randomNormal([batch, heads, size, headSize], using: &rng)
            let k = Tensor.randomNormal([batch, heads, size, headSize], using: &rng)
            let v = Tensor.randomNormal([batch, heads, size, headSize], using: &rng)
            for tensor in [q, k, v] { tensor.requiresGrad = true }
            shape = [batch, heads, size, headSize]
            // Two forward GEMMs and four backward ones, each 2·B·H·T²·D.
            flops = 6 * 2 * Double(batch * heads * size * size * headSize)
            iteration = {
                Tensor.scaledDotProductAttention(query: q, key: k, value: v).sum().backward()
                for tensor in [q, k, v] { tensor.grad = nil }
            }
        }
        iteration()
        var times: [Double] = []
        let start = Date()
        while times.count < 5 || Date().timeIntervalSince(start) < minimumSeconds {
            let begin = DispatchTime.now().uptimeNanoseconds
            iteration()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        return Measurement(
            op: workload.rawValue, shape: shape, threads: threads, seconds: median, gflops: flops / median / 1e9)
    }
}
