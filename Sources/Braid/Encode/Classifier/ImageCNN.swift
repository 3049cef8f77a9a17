import BraidTensor

/// A small VGG-style network for grey images, 28×28 digits by default (Simonyan & Zisserman, "Very Deep
/// Convolutional Networks", 2014, at MNIST's scale, with Ioffe & Szegedy's batch norm after every convolution):
///
///     (B, 1, S, S) ─ stage 0: 2 × ConvBlock(C₀), max pool 2 ─ stage 1: 2 × ConvBlock(C₁), max pool 2 ─▶ (B, C₁, S/4, S/4)
///        tokens: the S/4 × S/4 grid cells, (B, T, C₁) ─ flatten ─ ClassifierHead ─▶ embedding (B, D), logits (B, K)
///
/// The head reads the whole grid, not an average of it, so where a stroke is matters (a 6 and a 9 share parts).
///
/// Dimension legend: B batch, S input side, Cᵢ stage widths, T = (S/4)² grid tokens, D hidden width, K classes.
struct ImageCNN: Sendable {
    /// The network's part of `config.json`.
    struct Configuration: Codable, Sendable, Equatable {
        /// The input's side in pixels; a multiple of 4.
        var inputSize = 28
        /// The width of each stage.
        var channels = [32, 64]
        /// Convolutions per stage.
        var blocksPerStage = 2
        var hiddenSize = 128
        /// Dropout before the classifier, in training.
        var dropout: Float = 0.3

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case channels
            case blocksPerStage = "blocks_per_stage"
            case hiddenSize = "hidden_size"
            case dropout
        }
    }

    let configuration: Configuration
    let stages: ConvStages
    let head: ClassifierHead

    init(configuration: Configuration, classes: Int, scope: WeightScope) throws {
        self.configuration = configuration
        stages = try ConvStages(
            scope: scope, inChannels: 1, channels: configuration.channels,
            blocksPerStage: configuration.blocksPerStage)
        let side = configuration.inputSize >> configuration.channels.count
        head = try ClassifierHead(
            scope: scope.scope("head"), inFeatures: (configuration.channels.last ?? 1) * side * side,
            hiddenSize: configuration.hiddenSize, classes: classes, dropout: configuration.dropout)
    }

    private init(configuration: Configuration, stages: ConvStages, head: ClassifierHead) {
        (self.configuration, self.stages, self.head) = (configuration, stages, head)
    }

    /// - Parameter images: (B, 1, S, S).
    func callAsFunction(_ images: Tensor, training: Bool, rng: inout SeededRNG) -> ClassifierOutput {
        let x = stages(images, training: training)
        let (batch, width) = (x.shape[0], x.shape[1])
        // (B, C, S/4, S/4) -> (B, C·T)
        let (embedding, logits) = head(x.reshaped([batch, -1]), training: training, rng: &rng)
        // (B, C, S/4, S/4) -> (B, C, T)
        return ClassifierOutput(logits: logits, embedding: embedding, positions: x.reshaped([batch, width, -1]))
    }

    /// The network for inference: every batch norm folded into the layer before it.
    func folded() -> ImageCNN {
        ImageCNN(configuration: configuration, stages: stages.folded(), head: head.folded())
    }
}
