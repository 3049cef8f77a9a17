import BraidTensor

/// A 3×3 convolution, batch norm and ReLU, the unit the classifier CNNs are built of (keys `conv.weight`,
/// `norm.weight`, `norm.bias`, `norm.running_mean`, `norm.running_var`).
///
/// For inference, ``folded()`` merges the norm into the convolution, which then carries a bias and runs the ReLU
/// in place: one pass over the output instead of three.
struct ConvBlock: Sendable {
    let conv: Conv2d
    /// nil once folded into `conv`.
    let norm: BatchNorm?

    init(scope: WeightScope, inChannels: Int, outChannels: Int) throws {
        conv = try Conv2d(
            scope: scope.scope("conv"), inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1,
            bias: false)
        norm = try BatchNorm(scope: scope.scope("norm"), channels: outChannels)
    }

    private init(conv: Conv2d) {
        self.conv = conv
        norm = nil
    }

    /// (B, in, H, W) -> (B, out, H, W)
    func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        guard let norm else { return conv(x, activation: .relu) }
        return norm(conv(x), training: training).relu()
    }

    /// The same block for inference, its norm folded into the convolution.
    func folded() -> ConvBlock {
        guard let norm else { return self }
        return ConvBlock(conv: conv.folding(norm))
    }
}

/// Stages of ``ConvBlock``s, each stage ending in 2×2 max pooling: the trunk of both classifier CNNs (keys
/// `stages.I.J`, block J of stage I).
struct ConvStages: Sendable {
    let stages: [[ConvBlock]]

    /// - Parameters:
    ///   - channels: The width of each stage.
    ///   - blocksPerStage: Convolutions before each stage's pooling.
    init(scope: WeightScope, inChannels: Int, channels: [Int], blocksPerStage: Int) throws {
        var inChannels = inChannels
        stages = try channels.enumerated().map { index, width in
            try (0..<blocksPerStage).map { block in
                defer { inChannels = width }
                return try ConvBlock(
                    scope: scope.scope("stages.\(index).\(block)"), inChannels: inChannels, outChannels: width)
            }
        }
    }

    private init(stages: [[ConvBlock]]) {
        self.stages = stages
    }

    /// (B, in, H, W) -> (B, C, H/2ⁿ, W/2ⁿ) for n stages of last width C.
    func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        stages.reduce(x) { x, stage in
            Tensor.maxPool2d(stage.reduce(x) { x, block in block(x, training: training) }, kernel: 2)
        }
    }

    func folded() -> ConvStages {
        ConvStages(stages: stages.map { $0.map { $0.folded() } })
    }
}

/// What a classifier network makes of a batch.
///
/// Dimension legend: B batch, K classes, D embedding width, T tokens, C token width.
struct ClassifierOutput {
    /// (B, K) class scores before the softmax.
    let logits: Tensor
    /// (B, D) the hidden layer's activations: the pooled embedding `braid embed` writes.
    let embedding: Tensor
    /// (B, C, T) the last convolution stage's positions, channels first as the network computed them.
    let positions: Tensor

    /// (B, T, C) the last convolution stage's positions (grid cells of an image, time steps of a sound), for the
    /// fusion stages to attend over; transposed only when asked for, as training never reads them.
    var tokens: Tensor { positions.transposed(1, 2) }
}

/// The classifier's top: a hidden layer with batch norm, ReLU and dropout (the embedding), then the class scores
/// (keys `hidden`, `hidden_norm`, `classifier`).
struct ClassifierHead: Sendable {
    let hidden: Linear
    /// nil once folded into `hidden`.
    let hiddenNorm: BatchNorm?
    let classifier: Linear
    let dropout: Float

    init(scope: WeightScope, inFeatures: Int, hiddenSize: Int, classes: Int, dropout: Float) throws {
        hidden = try Linear(scope: scope.scope("hidden"), inFeatures: inFeatures, outFeatures: hiddenSize, bias: false)
        hiddenNorm = try BatchNorm(scope: scope.scope("hidden_norm"), channels: hiddenSize)
        classifier = try Linear(scope: scope.scope("classifier"), inFeatures: hiddenSize, outFeatures: classes)
        self.dropout = dropout
    }

    private init(hidden: Linear, classifier: Linear, dropout: Float) {
        (self.hidden, self.hiddenNorm, self.classifier, self.dropout) = (hidden, nil, classifier, dropout)
    }

    /// (B, F) -> the embedding (B, D) and the logits (B, K).
    func callAsFunction(_ features: Tensor, training: Bool, rng: inout SeededRNG) -> (embedding: Tensor, logits: Tensor)
    {
        let embedding =
            hiddenNorm.map { $0(hidden(features), training: training).relu() } ?? hidden(features, activation: .relu)
        let logits = classifier(embedding.dropout(probability: dropout, training: training, using: &rng))
        return (embedding, logits)
    }

    func folded() -> ClassifierHead {
        guard let hiddenNorm else { return self }
        return ClassifierHead(hidden: hidden.folding(hiddenNorm), classifier: classifier, dropout: dropout)
    }
}
