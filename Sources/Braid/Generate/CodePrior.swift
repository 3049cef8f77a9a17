import BraidTensor

/// A learned prior over a VQ-VAE's code grids: a small decoder-only transformer (Radford et al.'s GPT, pre-norm as
/// in GPT-2) that writes the G·G codes in raster order, each conditioned on those before it and on a start token,
/// which names the class for a conditioned prior. Sampling from it and decoding the grid gives digits, where codes
/// drawn independently give noise (van den Oord et al., 2017, section 4.2, with a transformer in place of PixelCNN).
///
///     start, c₀ … c_{T−2} ─ token + position embedding (B, T, W) ─ N × [x + attn(LN x) causal; x + MLP(LN x)]
///        ─ LN ─ Linear ─▶ logits (B, T, K): position t predicts c_t
///
/// Dimension legend: B batch, T ≤ G·G positions, W width, K codes.
struct CodePrior: Sendable {
    /// The prior's `config.json` section.
    struct Configuration: Codable, Sendable, Equatable {
        var codebookSize = 64
        /// G·G, the codes of one grid.
        var length = 49
        /// Small enough for an epoch over MNIST's grids in about a minute on 2 cores (width 128 and 3 layers took
        /// 2½), and enough to write class-true digits.
        var width = 96
        var heads = 4
        var layers = 2
        /// The class names the start token can name; empty for an unconditioned prior.
        var labels: [String] = []

        enum CodingKeys: String, CodingKey {
            case codebookSize = "codebook_size"
            case length, width, heads, layers, labels
        }
    }

    let configuration: Configuration
    /// (K + max(1, classes), W): the codes, then the start tokens.
    let tokenEmbedding: Tensor
    /// (G·G, W).
    let positionEmbedding: Tensor
    let blocks: [TransformerBlock]
    let norm: LayerNorm
    let head: Linear

    init(configuration: Configuration, scope: WeightScope) throws {
        self.configuration = configuration
        let width = configuration.width
        let starts = max(1, configuration.labels.count)
        tokenEmbedding = try scope.parameter(
            "token_embedding", shape: [configuration.codebookSize + starts, width],
            initializer: .normal(standardDeviation: 0.02))
        positionEmbedding = try scope.parameter(
            "position_embedding", shape: [configuration.length, width], initializer: .normal(standardDeviation: 0.02))
        blocks = try (0..<configuration.layers).map { index in
            try TransformerBlock(scope: scope.scope("blocks.\(index)"), width: width, heads: configuration.heads)
        }
        norm = try LayerNorm(scope: scope.scope("norm"), dimension: width)
        head = try Linear(scope: scope.scope("head"), inFeatures: width, outFeatures: configuration.codebookSize)
    }

    var isConditioned: Bool { !configuration.labels.isEmpty }

    /// The start token of a grid of class `label` (an index into the labels), or of any grid when unconditioned.
    func startToken(label: Int?) -> Int { configuration.codebookSize + (isConditioned ? label ?? 0 : 0) }

    /// The next-code logits at every position.
    /// - Parameters:
    ///   - prefixes: B sequences of T − 1 codes each (T ≥ 1): the codes known so far.
    ///   - starts: Each sequence's start token.
    /// - Returns: (B, T, K); position t scores code t given the start and codes 0..<t.
    func logits(prefixes: [[Int]], starts: [Int]) -> Tensor {
        let length = (prefixes.first?.count ?? 0) + 1
        let tokens = zip(starts, prefixes).flatMap { start, prefix in [start] + prefix }
        // (B·T) ids -> (B, T, W), plus (T, W) broadcast over the batch.
        let embedded =
            tokenEmbedding.gatheringRows(tokens, indexShape: [starts.count, length])
            + positionEmbedding.sliced(axis: 0, 0..<length)
        let hidden = blocks.reduce(embedded) { x, block in block(x, mask: .causal) }
        return head(norm(hidden))
    }

    /// Writes `count` code grids, each code drawn from the prior's distribution sharpened by `temperature`.
    /// - Parameter label: The class of every grid (an index into the labels), for a conditioned prior.
    /// - Returns: count × G·G codes.
    func sample(count: Int, label: Int?, temperature: Float, rng: inout SeededRNG) -> [[Int]] {
        let starts = [Int](repeating: startToken(label: label), count: count)
        var grids = [[Int]](repeating: [], count: count)
        let codes = configuration.codebookSize
        for position in 0..<configuration.length {
            let scores = withNoGrad {
                // (B, t + 1, K) -> the last position's (B, K), sharpened, as probabilities.
                (logits(prefixes: grids, starts: starts).sliced(axis: 1, position..<(position + 1))
                    .reshaped([count, codes]) * (1 / temperature)).softmax().scalars
            }
            for grid in 0..<count {
                var threshold = rng.nextUniform()
                var chosen = codes - 1
                for code in 0..<codes {
                    threshold -= scores[grid * codes + code]
                    if threshold < 0 {
                        chosen = code
                        break
                    }
                }
                grids[grid].append(chosen)
            }
        }
        return grids
    }
}

extension CodePrior {
    /// A prior's `config.json`: `{"architecture": "code-prior", "network": {…}}`.
    struct File: Codable, Sendable {
        var architecture = "code-prior"
        var network: Configuration
    }

    /// Loads the prior in `folder` (a VQ-VAE's `prior/`).
    /// - Throws: `ModelError` or `WeightError` naming the file that is missing or does not fit.
    init(folder: ModelFolder) throws {
        let file = try folder.json(File.self, from: "config.json")
        guard file.architecture == "code-prior" else {
            throw ModelError(
                folder.path(of: "config.json"), .unsupported("a '\(file.architecture)' model, not a code prior"))
        }
        try self.init(configuration: file.network, scope: .loading(try folder.weights()))
    }
}
