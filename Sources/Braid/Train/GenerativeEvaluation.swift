import BraidTensor
import Foundation

/// How a generative model does on images: `braid eval`'s report for autoencoders, VAEs and VQ-VAEs.
///
/// `metrics` holds, averaged over the images (see ``GenerativeScores``):
/// - autoencoder: `mse_per_pixel`, `bce_per_pixel`; a denoising one `psnr_noisy` and `psnr_denoised` (dB, the mean
///   over images of each image's PSNR) and their `_pooled` forms (the PSNR of the mean squared error over all
///   pixels, which PyTorch recipes usually report), its inputs corrupted with its own noise from a fixed seed;
/// - VAE: `neg_elbo`, `bce` and `kl` in nats per image, z drawn 10 times per image;
/// - VQ-VAE: `mse_per_pixel`, `perplexity` (e to the entropy of the codes' use over every grid position) and
///   `codes_used`;
/// - with a k-NN index (the training images): `knn5_accuracy`, the share of images whose 5 nearest training images
///   by the encoder's vectors (Euclidean) mostly carry their label.
public struct GenerativeEvaluation: Encodable, Sendable {
    public var model: String
    public var architecture: GenerativeArchitecture
    /// Images evaluated.
    public var examples: Int
    /// Items that could not be read or decoded.
    public var failed: Int
    public var metrics: [String: Double]

    /// The neighbours `knn5_accuracy` counts.
    static let neighbours = 5

    /// Reads `data` through the decode stage and scores every image with `model`.
    /// - Parameter knnIndex: Labelled images whose encoder vectors the k-NN figure looks up; `data` then needs labels.
    public static func evaluate(
        _ model: GenerativeModel, on data: LabelledData, knnIndex: LabelledData? = nil, batchSize: Int = 256,
        decodeJobs: Int, progress: ProgressBar? = nil
    ) async throws -> GenerativeEvaluation {
        let network = model.network
        let examples = try await load(data, network: network, requiringLabels: knnIndex != nil, decodeJobs: decodeJobs, progress: progress)
        var sums: [String: Double] = [:]
        var usage = [Int: Int]()
        var rng = SeededRNG(seed: 0)
        var (vectors, labels): ([Float], [String]) = ([], [])
        for try await batch in examples.validationBatches(batchSize: batchSize) {
            let targets = network.inputs(batch.examples.flatMap(\.values), count: batch.examples.count)
            var inputs = targets
            if let corruption = network.corruption {
                let corrupted = batch.examples.enumerated().flatMap { row, example in
                    var noise = SeededRNG(seed: SeededRNG.derivedSeed(0, UInt64(batch.index), UInt64(row)))
                    return corruption.apply(to: example.values, rng: &noise)
                }
                inputs = network.inputs(corrupted, count: batch.examples.count)
            }
            let scores = network.scores(inputs: inputs, targets: targets, rng: &rng)
            for (name, values) in scores.figures { sums[name, default: 0] += values.reduce(0, +) }
            for code in scores.codes { usage[code, default: 0] += 1 }
            if knnIndex != nil {
                vectors += network.embed(targets).scalars
                labels += batch.examples.map { examples.labels[$0.label] }
            }
        }
        let count = examples.validationCount
        var metrics = Dictionary(uniqueKeysWithValues: sums.map { name, sum in (network.reportName(name), sum / Double(count)) })
        if network.corruption != nil, let denoised = metrics["mse_per_pixel"], let noisy = metrics["mse_noisy"] {
            metrics["psnr_denoised_pooled"] = GenerativeNetwork.psnr(denoised)
            metrics["psnr_noisy_pooled"] = GenerativeNetwork.psnr(noisy)
        }
        if !usage.isEmpty {
            let total = Double(usage.values.reduce(0, +))
            let entropy = usage.values.reduce(0.0) { sum, uses in
                let p = Double(uses) / total
                return sum - p * Foundation.log(p)
            }
            metrics["perplexity"] = Foundation.exp(entropy)
            metrics["codes_used"] = Double(usage.count)
        }
        if let knnIndex {
            let index = try await load(knnIndex, network: network, requiringLabels: true, decodeJobs: decodeJobs, progress: progress)
            var (indexVectors, indexLabels): ([Float], [String]) = ([], [])
            for try await batch in index.validationBatches(batchSize: batchSize) {
                let inputs = network.inputs(batch.examples.flatMap(\.values), count: batch.examples.count)
                indexVectors += network.embed(inputs).scalars
                indexLabels += batch.examples.map { index.labels[$0.label] }
            }
            metrics["knn5_accuracy"] = NearestNeighbours(vectors: indexVectors, labels: indexLabels, width: network.embeddingSize)
                .accuracy(of: vectors, labels: labels, k: neighbours)
        }
        return GenerativeEvaluation(
            model: model.name, architecture: network.architecture, examples: count, failed: examples.failedCount,
            metrics: metrics)
    }

    private static func load(
        _ data: LabelledData, network: GenerativeNetwork, requiringLabels: Bool, decodeJobs: Int, progress: ProgressBar?
    ) async throws -> ExampleSet {
        try await ExampleSet.load(
            data, split: nil, requiringLabels: requiringLabels, cacheBytes: 1 << 30, decodeJobs: decodeJobs,
            errors: .standardError(), progress: progress, frontEnd: network.canvas.exampleFrontEnd)
    }
}
