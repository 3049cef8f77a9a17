import BraidTensor

/// A small CNN over a log-mel spectrogram, treated as a one-channel image of mel bands × frames (the design of
/// the keyword-spotting CNNs in Sainath & Parada, "Convolutional Neural Networks for Small-footprint Keyword
/// Spotting", 2015, with batch norm):
///
///     (B, 1, M, F) ─ per stage: ConvBlock(Cᵢ) × n, max pool 2 ─▶ (B, C, M/8, F/8) ─ mean over bands ─▶ tokens (B, T, C)
///        ─ mean and max over time ─▶ (B, 2C) ─ ClassifierHead ─▶ embedding (B, D), logits (B, K)
///
/// Averaging over bands and pooling over time make the readout indifferent to where in the window the word
/// falls; the tokens keep the order of time for the fusion stages.
///
/// Dimension legend: B batch, M mel bands, F frames, Cᵢ stage widths, C the last, T = F/2ⁿ time tokens,
/// D hidden width, K classes.
struct AudioCNN: Sendable {
    /// The network's part of `config.json`.
    struct Configuration: Codable, Sendable, Equatable {
        /// The width of each stage; each halves bands and frames.
        var channels = [32, 64, 128]
        /// Convolutions per stage.
        var blocksPerStage = 1
        var hiddenSize = 128
        var dropout: Float = 0.3

        enum CodingKeys: String, CodingKey {
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
        head = try ClassifierHead(
            scope: scope.scope("head"), inFeatures: 2 * (configuration.channels.last ?? 1),
            hiddenSize: configuration.hiddenSize, classes: classes, dropout: configuration.dropout)
    }

    private init(configuration: Configuration, stages: ConvStages, head: ClassifierHead) {
        (self.configuration, self.stages, self.head) = (configuration, stages, head)
    }

    /// - Parameter spectrograms: (B, 1, M, F).
    func callAsFunction(_ spectrograms: Tensor, training: Bool, rng: inout SeededRNG) -> ClassifierOutput {
        // (B, C, M', T) -> (B, C, T)
        let timeSteps = stages(spectrograms, training: training).mean(axes: [2])
        // (B, C, T) -> (B, 2C): what was said, wherever in the window.
        let pooled = Tensor.concatenate([timeSteps.mean(axes: [2]), timeSteps.max(axis: 2)], axis: 1)
        let (embedding, logits) = head(pooled, training: training, rng: &rng)
        return ClassifierOutput(logits: logits, embedding: embedding, positions: timeSteps)
    }

    /// The network for inference: every batch norm folded into the layer before it.
    func folded() -> AudioCNN {
        AudioCNN(configuration: configuration, stages: stages.folded(), head: head.folded())
    }
}
