import BraidTensor
import Foundation

/// The noise predictor of a text-to-image diffusion model: a small U-Net (Ronneberger et al., 2015, as Ho et al. use
/// it) that reads a noisy image x_t, its step t and a prompt, and predicts the noise ε in x_t (or v, Salimans & Ho,
/// 2022, when the model was trained so).
///
///     t ─ sinusoid ─ MLP ─(+)─ SiLU ─▶ conditioning (B, W);   prompt (B, L, E) ─ pooled token ─ Linear ─▶ (+)
///     prompt (B, L, E) ─ Linear ─▶ context (B, L, E′), the keys and values of every attention block
///     x_t (B, 1, S, S) ─ conv_in ─▶ (B, C₀, S, S)
///     down i:  residual(C_{i−1} → C_i, t) [─ attention(prompt)] ─▶ skip i ─ conv 3×3/2 ─▶ (B, C_i, S/2^{i+1}, …)
///     mid:     residual ─ attention(prompt) ─ residual        at the lowest resolution
///     up i:    [h ; skip i] ─ residual(2C_i → C_i, t) [─ attention(prompt)] ─ transposed conv 4×4/2 ─▶ C_{i−1}
///     out:     GroupNorm ─ SiLU ─ conv 3×3 ─▶ ε̂ (B, 1, S, S)
///
/// The step enters every residual block through a sinusoidal embedding and an MLP; the prompt enters twice: its
/// pooled vector is added to that embedding (what the image should be overall), and its tokens are attended to by the
/// attention blocks at the low resolutions (Rombach et al., 2022, at a digit's scale).
///
/// Dimension legend: B batch, S image side (28), C_i the width of level i, L prompt tokens, E their width, E′ the
/// projected width, W the step embedding's width.
struct DiffusionUNet: Sendable {
    /// The network's part of `config.json`.
    struct Configuration: Codable, Sendable, Equatable {
        var inputSize = 28
        /// C_i per level; the image halves between levels, so S must divide by 2^(levels − 1).
        var channels = [24, 48, 64]
        /// The levels whose blocks attend to the prompt (0 is full resolution); the middle always does.
        var attentionLevels = [1, 2]
        /// Those of them whose positions also attend to each other, and the middle. Kept to the lowest resolution:
        /// at 14×14 a batch's attention weights alone take 80 MB and a third of a training step.
        var selfAttentionLevels = [2]
        /// W.
        var timeWidth = 128
        /// E, the width of the prompt encoder's vectors.
        var contextSize = 512
        /// The width the prompt's tokens are projected to once, for every attention block's keys and values.
        var contextWidth = 64
        var heads = 4
        /// GroupNorm's groups; divides every C_i.
        var groups = 8

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case channels
            case attentionLevels = "attention_levels"
            case selfAttentionLevels = "self_attention_levels"
            case timeWidth = "time_width"
            case contextSize = "context_size"
            case contextWidth = "context_width"
            case heads, groups
        }
    }

    /// The prompt as the network reads it.
    struct Prompts: Sendable {
        /// (B, L, E): each prompt's pooled vector first, then one vector per word, zero-padded to L.
        let tokens: Tensor
        /// How many of each row's L tokens are real.
        let lengths: [Int]
    }

    let configuration: Configuration
    let timeEmbedding: (first: Linear, second: Linear)
    let promptEmbedding: Linear
    let contextProjection: Linear
    let inputConvolution: Conv2d
    let down: [Level]
    let downsamplers: [Conv2d]
    let middle: (first: ResidualBlock, attention: AttentionBlock, second: ResidualBlock)
    let up: [Level]
    let upsamplers: [ConvTranspose2d]
    let outputNorm: GroupNorm
    let outputConvolution: Conv2d

    /// The blocks of one level on one side of the U.
    struct Level: Sendable {
        let residual: ResidualBlock
        let attention: AttentionBlock?
    }

    init(configuration: Configuration, scope: WeightScope) throws {
        self.configuration = configuration
        let (channels, width, groups) = (configuration.channels, configuration.timeWidth, configuration.groups)
        precondition(!channels.isEmpty && channels.allSatisfy { $0 % groups == 0 }, "widths \(channels), \(groups) groups")
        func attention(_ scope: WeightScope, level: Int?) throws -> AttentionBlock? {
            guard level.map(configuration.attentionLevels.contains) ?? true else { return nil }
            return try AttentionBlock(
                scope: scope, channels: channels[level ?? channels.count - 1], contextSize: configuration.contextWidth,
                heads: configuration.heads, selfAttends: level.map(configuration.selfAttentionLevels.contains) ?? true)
        }
        timeEmbedding = (
            try Linear(scope: scope.scope("time_embedding.linear_1"), inFeatures: width / 2, outFeatures: width),
            try Linear(scope: scope.scope("time_embedding.linear_2"), inFeatures: width, outFeatures: width)
        )
        promptEmbedding = try Linear(
            scope: scope.scope("prompt_embedding"), inFeatures: configuration.contextSize, outFeatures: width)
        contextProjection = try Linear(
            scope: scope.scope("context_projection"), inFeatures: configuration.contextSize,
            outFeatures: configuration.contextWidth)
        inputConvolution = try Conv2d(
            scope: scope.scope("conv_in"), inChannels: 1, outChannels: channels[0], kernel: 3, padding: 1)
        down = try channels.indices.map { level in
            let levelScope = scope.scope("down.\(level)")
            return Level(
                residual: try ResidualBlock(
                    scope: levelScope.scope("residual"), inChannels: channels[max(0, level - 1)],
                    outChannels: channels[level], timeWidth: width, groups: groups),
                attention: try attention(levelScope.scope("attention"), level: level))
        }
        downsamplers = try channels.indices.dropLast().map { level in
            try Conv2d(
                scope: scope.scope("down.\(level).downsample"), inChannels: channels[level],
                outChannels: channels[level], kernel: 3, stride: 2, padding: 1)
        }
        let deepest = channels[channels.count - 1]
        middle = (
            try ResidualBlock(
                scope: scope.scope("mid.residual_1"), inChannels: deepest, outChannels: deepest, timeWidth: width,
                groups: groups),
            try AttentionBlock(
                scope: scope.scope("mid.attention"), channels: deepest, contextSize: configuration.contextWidth,
                heads: configuration.heads, selfAttends: true),
            try ResidualBlock(
                scope: scope.scope("mid.residual_2"), inChannels: deepest, outChannels: deepest, timeWidth: width,
                groups: groups)
        )
        up = try channels.indices.map { level in
            let levelScope = scope.scope("up.\(level)")
            return Level(
                residual: try ResidualBlock(
                    scope: levelScope.scope("residual"), inChannels: 2 * channels[level],
                    outChannels: channels[level], timeWidth: width, groups: groups),
                attention: try attention(levelScope.scope("attention"), level: level))
        }
        upsamplers = try channels.indices.dropFirst().map { level in
            try ConvTranspose2d(
                scope: scope.scope("up.\(level).upsample"), inChannels: channels[level],
                outChannels: channels[level - 1], kernel: 4, stride: 2, padding: 1)
        }
        outputNorm = try GroupNorm(scope: scope.scope("norm_out"), groups: groups, channels: channels[0])
        outputConvolution = try Conv2d(
            scope: scope.scope("conv_out"), inChannels: channels[0], outChannels: 1, kernel: 3, padding: 1)
    }

    /// The predicted noise (or v) in each image.
    /// - Parameters:
    ///   - x: The noisy images, (B, 1, S, S).
    ///   - steps: Each image's step t, in 0..<T.
    ///   - prompts: What each image should show.
    /// - Returns: (B, 1, S, S).
    func callAsFunction(_ x: Tensor, steps: [Int], prompts: Prompts) -> Tensor {
        let keys = prompts.tokens.shape[1]
        let mask = AttentionMask.keyPadding(validLengths: prompts.lengths, keys: keys)
        // (B, L, E) -> the pooled first token, (B, E).
        let pooled = prompts.tokens.sliced(axis: 1, 0..<1).reshaped([steps.count, configuration.contextSize])
        let conditioning =
            (timeEmbedding.second(timeEmbedding.first(Self.sinusoidal(steps, width: configuration.timeWidth / 2),
                activation: .silu)) + promptEmbedding(pooled)).silu()
        // (B, L, E) -> (B, L, E′)
        let context = contextProjection(prompts.tokens)
        var hidden = inputConvolution(x)
        var skips: [Tensor] = []
        for (level, blocks) in down.enumerated() {
            hidden = blocks.residual(hidden, conditioning: conditioning)
            if let attention = blocks.attention { hidden = attention(hidden, context: context, mask: mask) }
            skips.append(hidden)
            if level < downsamplers.count { hidden = downsamplers[level](hidden) }
        }
        hidden = middle.first(hidden, conditioning: conditioning)
        hidden = middle.attention(hidden, context: context, mask: mask)
        hidden = middle.second(hidden, conditioning: conditioning)
        for (level, blocks) in up.enumerated().reversed() {
            // (B, C_i, h, w) twice -> (B, 2C_i, h, w)
            hidden = blocks.residual(Tensor.concatenate([hidden, skips[level]], axis: 1), conditioning: conditioning)
            if let attention = blocks.attention { hidden = attention(hidden, context: context, mask: mask) }
            if level > 0 { hidden = upsamplers[level - 1](hidden) }
        }
        return outputConvolution(outputNorm(hidden).silu())
    }

    /// The transformer's sinusoidal position encoding of each step (Vaswani et al., 2017), sines then cosines.
    /// - Returns: (B, width).
    static func sinusoidal(_ steps: [Int], width: Int) -> Tensor {
        let half = width / 2
        let frequencies = (0..<half).map { Foundation.exp(-Foundation.log(10_000) * Double($0) / Double(half)) }
        let values = steps.flatMap { step in
            frequencies.map { Float(Foundation.sin(Double(step) * $0)) }
                + frequencies.map { Float(Foundation.cos(Double(step) * $0)) }
        }
        return Tensor(values, shape: [steps.count, width])
    }
}

extension DiffusionUNet {
    /// Two 3×3 convolutions, each after GroupNorm and SiLU, with the step-and-prompt embedding added per channel
    /// between them, around a shortcut (1×1 when the width changes): the residual block of Ho et al.
    struct ResidualBlock: Sendable {
        let firstNorm: GroupNorm
        let firstConvolution: Conv2d
        let conditioning: Linear
        let secondNorm: GroupNorm
        let secondConvolution: Conv2d
        let shortcut: Conv2d?

        init(scope: WeightScope, inChannels: Int, outChannels: Int, timeWidth: Int, groups: Int) throws {
            firstNorm = try GroupNorm(scope: scope.scope("norm_1"), groups: groups, channels: inChannels)
            firstConvolution = try Conv2d(
                scope: scope.scope("conv_1"), inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1)
            conditioning = try Linear(scope: scope.scope("time"), inFeatures: timeWidth, outFeatures: outChannels)
            secondNorm = try GroupNorm(scope: scope.scope("norm_2"), groups: groups, channels: outChannels)
            secondConvolution = try Conv2d(
                scope: scope.scope("conv_2"), inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
            shortcut =
                inChannels == outChannels
                ? nil
                : try Conv2d(scope: scope.scope("shortcut"), inChannels: inChannels, outChannels: outChannels, kernel: 1)
        }

        /// - Parameters:
        ///   - x: (B, C_in, h, w).
        ///   - conditioning: The SiLU of the step-and-prompt embedding, (B, W).
        /// - Returns: (B, C_out, h, w).
        func callAsFunction(_ x: Tensor, conditioning embedding: Tensor) -> Tensor {
            let hidden = firstConvolution(firstNorm(x).silu())
            // (B, C_out) -> (B, C_out, 1, 1), broadcast over the positions.
            let shift = conditioning(embedding).reshaped([x.shape[0], -1, 1, 1])
            let output = secondConvolution(secondNorm(hidden + shift).silu())
            return (shortcut?(x) ?? x) + output
        }
    }

    /// Self-attention among an image's positions (at low resolutions), then cross-attention from them to the
    /// prompt's tokens, each pre-normed and residual: how the words steer each part of the image.
    struct AttentionBlock: Sendable {
        let selfAttention: (norm: LayerNorm, attention: MultiHeadAttention)?
        let crossNorm: LayerNorm
        let crossAttention: MultiHeadAttention

        init(scope: WeightScope, channels: Int, contextSize: Int, heads: Int, selfAttends: Bool) throws {
            selfAttention =
                selfAttends
                ? (
                    try LayerNorm(scope: scope.scope("norm_1"), dimension: channels),
                    try MultiHeadAttention(scope: scope.scope("attn_1"), dimension: channels, heads: heads)
                ) : nil
            crossNorm = try LayerNorm(scope: scope.scope("norm_2"), dimension: channels)
            crossAttention = try MultiHeadAttention(
                scope: scope.scope("attn_2"), dimension: channels, heads: heads, contextDimension: contextSize)
        }

        /// - Parameters:
        ///   - x: (B, C, h, w).
        ///   - context: The prompts' projected tokens, (B, L, E′).
        ///   - mask: Hides each prompt's padding.
        /// - Returns: (B, C, h, w).
        func callAsFunction(_ x: Tensor, context: Tensor, mask: AttentionMask) -> Tensor {
            let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            // (B, C, h, w) -> (B, C, h·w) -> (B, h·w, C)
            var tokens = x.reshaped([batch, channels, height * width]).permuted([0, 2, 1])
            if let (norm, attention) = selfAttention { tokens = tokens + attention(norm(tokens)) }
            tokens = tokens + crossAttention(crossNorm(tokens), context: context, mask: mask)
            // (B, h·w, C) -> (B, C, h·w) -> (B, C, h, w)
            return tokens.permuted([0, 2, 1]).reshaped([batch, channels, height, width])
        }
    }
}
