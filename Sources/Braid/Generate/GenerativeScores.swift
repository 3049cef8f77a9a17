import BraidTensor
import Foundation

/// How well a model explains each image: the figures `braid score` writes per item and `braid eval` averages.
///
/// - autoencoder: `mse` and `bce`, per pixel, of the reconstruction; a denoising one also `psnr` of its output and
///   `psnr_noisy` of its (corrupted) input, in dB against the clean image, and `mse_noisy` of that input;
/// - VAE: `neg_elbo` in nats, −log p(x|z) + KL(q(z|x) ‖ p(z)) with z drawn `draws` times and the bound averaged,
///   and its two parts `bce` and `kl`;
/// - VQ-VAE: `mse` per pixel, and each image's grid of codes for the codebook figures.
struct GenerativeScores {
    /// Per figure, one value per image.
    var figures: [String: [Double]] = [:]
    /// The VQ-VAE's codes, G·G per image.
    var codes: [Int] = []
}

extension GenerativeNetwork {
    /// - Parameters:
    ///   - inputs: What the network reads, (B, …): clean images, or corrupted ones for a denoising autoencoder.
    ///   - targets: The clean images, the shape of `inputs`; when it is `inputs` itself, no noise figures.
    ///   - draws: The VAE's draws of z per image.
    func scores(inputs: Tensor, targets: Tensor, draws: Int = 10, rng: inout SeededRNG) -> GenerativeScores {
        withNoGrad {
            var scores = GenerativeScores()
            switch body {
            case .autoencoder(let network):
                let logits = network.decodeLogits(network.encode(inputs))
                scores.figures["bce"] = Self.perImageMean(logits.softplus() - logits * targets)
                let errors = logits.sigmoid() - targets
                scores.figures["mse"] = Self.perImageMean(errors * errors)
                if inputs !== targets {
                    scores.figures["psnr"] = scores.figures["mse"]?.map(Self.psnr)
                    let noise = inputs - targets
                    scores.figures["mse_noisy"] = Self.perImageMean(noise * noise)
                    scores.figures["psnr_noisy"] = scores.figures["mse_noisy"]?.map(Self.psnr)
                }
            case .vae(let network):
                let (mean, logVariance) = network.encode(inputs)
                let pixels = Double(targets.count / targets.shape[0])
                // KL(N(µ, σ²) ‖ N(0, I)) per image: −½ Σ (1 + log σ² − µ² − σ²).
                let divergence = Self.perImageMean(1 + logVariance - mean * mean - logVariance.exp()).map {
                    -0.5 * $0 * Double(mean.shape[1])
                }
                var reconstruction = [Double](repeating: 0, count: inputs.shape[0])
                for _ in 0..<draws {
                    let noise = Tensor.randomNormal(mean.shape, using: &rng)
                    let logits = network.decodeLogits(
                        VariationalAutoencoder.reparameterise(mean: mean, logVariance: logVariance, noise: noise))
                    for (row, value) in Self.perImageMean(logits.softplus() - logits * targets).enumerated() {
                        reconstruction[row] += value * pixels / Double(draws)
                    }
                }
                scores.figures["bce"] = reconstruction
                scores.figures["kl"] = divergence
                scores.figures["neg_elbo"] = zip(reconstruction, divergence).map(+)
            case .vqvae(let network):
                let quantized = network.quantize(network.encode(inputs))
                let images = network.decodeLogits(quantized.quantized).sigmoid()
                let errors = images - targets
                scores.figures["mse"] = Self.perImageMean(errors * errors)
                scores.codes = quantized.codes
            }
            return scores
        }
    }

    /// The name reports give a per-image figure: `mse` is `mse_per_pixel` (or `psnr` is `psnr_denoised`) where other
    /// figures are per image.
    func reportName(_ figure: String) -> String {
        switch (architecture, figure) {
        case (.autoencoder, "psnr"): "psnr_denoised"
        case (.autoencoder, "mse"), (.vqvae, "mse"): "mse_per_pixel"
        case (.autoencoder, "bce"): "bce_per_pixel"
        default: figure
        }
    }

    /// The mean of each image's values, for (B, …).
    static func perImageMean(_ values: Tensor) -> [Double] {
        let flat = values.scalars
        let size = flat.count / values.shape[0]
        return (0..<values.shape[0]).map { row in
            flat[row * size..<(row + 1) * size].reduce(0.0) { $0 + Double($1) } / Double(size)
        }
    }

    /// Peak signal-to-noise ratio in dB of an image with pixels in [0, 1], from its mean squared error.
    static func psnr(_ meanSquaredError: Double) -> Double {
        10 * log10(1 / max(meanSquaredError, 1e-10))
    }
}
