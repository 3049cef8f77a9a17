import BraidTensor

/// A variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014): the encoder gives a
/// diagonal Gaussian over the latent, a draw from it is decoded, and training maximises the evidence lower bound
/// `E[log p(x|z)] − β·KL(q(z|x) ‖ N(0, I))` with Bernoulli pixels (β = 1 is the true bound):
///
///     (B, P) ─ Linear+ReLU (B, H) ─┬ mean ─────────┐
///                                  └ log_variance ─┴ z = µ + σ·ε (B, L) ─ Linear+ReLU (B, H) ─ Linear ─▶ logits (B, P)
///
/// Dimension legend: B batch, P pixels (784), H hidden width (256), L latent width (16).
struct VariationalAutoencoder: Sendable {
    /// The network's part of `config.json`.
    struct Configuration: Codable, Sendable, Equatable {
        var inputSize = 784
        var hiddenSize = 256
        var latentSize = 16
        /// The weight of the KL term in training (Higgins et al.'s β-VAE); evaluation reports the true bound.
        var beta: Float = 1

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case hiddenSize = "hidden_size"
            case latentSize = "latent_size"
            case beta
        }
    }

    let configuration: Configuration
    let hidden: Linear
    let mean: Linear
    let logVariance: Linear
    let decoder: MLP

    init(configuration: Configuration, scope: WeightScope) throws {
        self.configuration = configuration
        let encoder = scope.scope("encoder")
        hidden = try Linear(
            scope: encoder.scope("hidden"), inFeatures: configuration.inputSize, outFeatures: configuration.hiddenSize)
        mean = try Linear(
            scope: encoder.scope("mean"), inFeatures: configuration.hiddenSize, outFeatures: configuration.latentSize)
        logVariance = try Linear(
            scope: encoder.scope("log_variance"), inFeatures: configuration.hiddenSize,
            outFeatures: configuration.latentSize)
        decoder = try MLP(
            scope: scope.scope("decoder"),
            widths: [configuration.latentSize, configuration.hiddenSize, configuration.inputSize])
    }

    /// - Parameter images: (B, P).
    /// - Returns: The posterior's mean and log-variance, each (B, L).
    func encode(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        let features = hidden(images, activation: .relu)
        return (mean(features), logVariance(features))
    }

    /// - Parameter latents: (B, L).
    /// - Returns: The pixels' logits, (B, P).
    func decodeLogits(_ latents: Tensor) -> Tensor { decoder(latents) }

    /// - Returns: Pixels in [0, 1], (B, P).
    func decode(_ latents: Tensor) -> Tensor { decodeLogits(latents).sigmoid() }

    /// The reparameterisation trick: `µ + exp(½·log σ²)·ε`, differentiable in µ and log σ² for a fixed draw ε.
    /// - Parameter noise: ε ~ N(0, I), the shape of `mean`.
    static func reparameterise(mean: Tensor, logVariance: Tensor, noise: Tensor) -> Tensor {
        mean + (logVariance * 0.5).exp() * noise
    }

    /// KL(N(µ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − µ² − σ²), summed over the latent and the batch.
    static func klDivergence(mean: Tensor, logVariance: Tensor) -> Tensor {
        (1 + logVariance - mean * mean - logVariance.exp()).sum() * -0.5
    }
}
