import BraidTensor

/// A fully connected autoencoder (Hinton & Salakhutdinov, "Reducing the Dimensionality of Data with Neural Networks",
/// 2006, at MNIST's small scale). The denoising autoencoder is the same network trained on corrupted inputs
/// (``Corruption``):
///
///     (B, P) ─ encoder: Linear+ReLU (B, 128) ─ Linear ─▶ code (B, 32) ─ decoder: Linear+ReLU (B, 128) ─ Linear ─▶ logits (B, P)
///
/// The code is linear; the output's sigmoid is applied by the loss (binary cross-entropy on logits, stable for
/// confident pixels) and by ``decode(_:)``.
///
/// Dimension legend: B batch, P pixels (784), C code width.
struct DenseAutoencoder: Sendable {
    /// The network's part of `config.json`.
    struct Configuration: Codable, Sendable, Equatable {
        var inputSize = 784
        /// The widths between the input and the code; the decoder mirrors them.
        var hiddenSizes = [128]
        var codeSize = 32

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case hiddenSizes = "hidden_sizes"
            case codeSize = "code_size"
        }
    }

    let configuration: Configuration
    let encoder: MLP
    let decoder: MLP

    init(configuration: Configuration, scope: WeightScope) throws {
        self.configuration = configuration
        let widths = [configuration.inputSize] + configuration.hiddenSizes + [configuration.codeSize]
        encoder = try MLP(scope: scope.scope("encoder"), widths: widths)
        decoder = try MLP(scope: scope.scope("decoder"), widths: widths.reversed())
    }

    /// - Parameter images: (B, P).
    /// - Returns: The codes, (B, C).
    func encode(_ images: Tensor) -> Tensor { encoder(images) }

    /// - Parameter codes: (B, C).
    /// - Returns: The pixels' logits, (B, P).
    func decodeLogits(_ codes: Tensor) -> Tensor { decoder(codes) }

    /// - Returns: Pixels in [0, 1], (B, P).
    func decode(_ codes: Tensor) -> Tensor { decodeLogits(codes).sigmoid() }
}
