import BraidTensor

/// Vector quantisation with a learned codebook (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation
/// Learning", 2017): each vector is replaced by its nearest code, and gradients pass the quantisation unchanged
/// (the straight-through estimator).
///
/// Training adds two terms to the reconstruction loss: the codebook loss `‖sg[z] − e‖²` moves codes towards the
/// encoder's outputs, and the commitment loss `‖z − sg[e]‖²` (weighted by β) keeps the outputs near their codes.
/// With ``CodebookMaintenance``'s moving averages the codes follow the outputs without the codebook loss.
///
/// Dimension legend: N vectors, K codes, D code width.
struct VectorQuantizer: Sendable {
    struct Output {
        /// Each vector's code, in 0..<K.
        let codes: [Int]
        /// (N, D): the codes' vectors forwards, the identity backwards.
        let quantized: Tensor
        /// `‖sg[z] − e‖²`, mean over elements; zero when the codebook follows moving averages.
        let codebookLoss: Tensor
        /// `‖z − sg[e]‖²`, mean over elements.
        let commitmentLoss: Tensor
    }

    /// (K, D).
    let codebook: Tensor
    /// Whether the codebook learns by gradient (else by moving averages, and it is a buffer).
    let learnsByGradient: Bool

    /// Codes start uniform in ±1/K, as PyTorch's VQ-VAE examples do.
    init(scope: WeightScope, count: Int, dimension: Int, learnsByGradient: Bool) throws {
        let initializer = Initializer.uniform(bound: 1 / Float(count))
        codebook =
            learnsByGradient
            ? try scope.parameter("codebook", shape: [count, dimension], initializer: initializer)
            : try scope.buffer("codebook", shape: [count, dimension], initializer: initializer)
        self.learnsByGradient = learnsByGradient
    }

    var count: Int { codebook.shape[0] }
    var dimension: Int { codebook.shape[1] }

    /// The nearest code of each row of `vectors` (N, D), by Euclidean distance.
    func nearest(_ vectors: Tensor) -> [Int] {
        withNoGrad {
            // ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖²; ‖z‖² is the same for every code of a row, so it is left out.
            let products = Tensor.matmul(vectors, codebook, transposeB: true, alpha: -2)  // (N, K)
            let norms = (codebook * codebook).sum(axes: [1]).reshaped([1, count])  // (1, K)
            return (products + norms).argmin(axis: 1)
        }
    }

    /// The code vectors of `codes`, (N, D).
    func vectors(of codes: [Int]) -> Tensor { codebook.gatheringRows(codes) }

    /// - Parameter vectors: (N, D), the encoder's outputs.
    func callAsFunction(_ vectors: Tensor) -> Output {
        let codes = nearest(vectors)
        let chosen = codebook.gatheringRows(codes)
        let codebookLoss =
            learnsByGradient ? Tensor.meanSquaredError(chosen, vectors.detached()) : Tensor(repeating: 0, shape: [])
        return Output(
            codes: codes, quantized: vectors + (chosen - vectors).detached(), codebookLoss: codebookLoss,
            commitmentLoss: Tensor.meanSquaredError(vectors, chosen.detached()))
    }
}
