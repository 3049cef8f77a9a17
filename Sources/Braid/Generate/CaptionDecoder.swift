import BraidTensor

/// The caption head: an autoregressive transformer decoder that writes a caption word by word while
/// cross-attending to the fused tokens of an item's parts (Vaswani et al., 2017, the decoder half, pre-norm as in
/// GPT-2), starting from what the part classifiers decided.
///
///     memory = fused tokens (B, S, F) ‖ each part's class probabilities ─ Linear ─▶ (B, S + 2, F)
///     <s> w₀ … w_{T−2} ─ token + position embedding (B, T, W)
///        ─ N × [x + attn(LN x) causal; x + attn(LN x → memory, missing parts hidden); x + MLP(LN x)]
///        ─ LN ─▶ h (B, T, W)
///     (s_head, s_image, s_audio) = softmax(gate(h)), a missing part's share hidden ─▶ (B, T, 3)
///     p(word) = s_head · softmax(head(h)) + s_image · p_image(class the word labels) + s_audio · p_audio(…)
///        ─▶ (B, T, V): position t gives word t
///
/// Why the decisions: trained on parts the classifiers trained on, where they are all but always right, a decoder
/// that read the digits from the fused tokens alone learned to read them again, and read some new parts worse than
/// the classifiers do: one test recording the sound classifier hears as a 6 (p = 0.60) it wrote as a 3, at least 11
/// of its 23 mistakes on the test pairs. So each word is a mixture, as a pointer-generator network's is (See et al.,
/// "Get To The Point", 2017), with the classifiers' decisions as what it points at: per position a gate over the
/// decoder's state shares the word between the decoder's own head and each part's decision, copied onto the words
/// that are its classes' labels (a caption's "3" for the class "3"). The gate learns where a caption names what was
/// seen and where what was heard; the head writes the rest ("five" after "spoken as"). A mixture and not a product
/// of experts: a classifier sure of a wrong digit (a noisy training part) costs a mixture at most its share, where a
/// product, trained so, learned to weigh the classifiers too little to help. The decisions also join the memory as
/// one token per part, so the words that depend on both digits (", spoken as" or "and a spoken") see them too. A
/// missing part gets no share and its token is hidden.
///
/// Dimension legend: B batch, T caption positions, S fused tokens, F their width, W width, V vocabulary,
/// K classes.
struct CaptionDecoder: Sendable {
    struct Configuration: Codable, Sendable, Equatable {
        var width = 64
        var heads = 4
        var layers = 2
        /// The longest caption, end marker included.
        var maxLength = 16
        /// Whether the decoder starts from the part classifiers' decisions; models trained before it existed do not.
        var fromDecisions = true

        enum CodingKeys: String, CodingKey {
            case width, heads, layers
            case maxLength = "max_length"
            case fromDecisions = "from_decisions"
        }

        init(width: Int = 64, heads: Int = 4, layers: Int = 2, maxLength: Int = 16, fromDecisions: Bool = true) {
            (self.width, self.heads, self.layers, self.maxLength) = (width, heads, layers, maxLength)
            self.fromDecisions = fromDecisions
        }

        /// A `config.json` without `from_decisions` is a model trained before the decisions: it has no weights for
        /// them.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            width = try container.decode(Int.self, forKey: .width)
            heads = try container.decode(Int.self, forKey: .heads)
            layers = try container.decode(Int.self, forKey: .layers)
            maxLength = try container.decode(Int.self, forKey: .maxLength)
            fromDecisions = try container.decodeIfPresent(Bool.self, forKey: .fromDecisions) ?? false
        }
    }

    /// The part classifiers' decisions for the sequences being written, one row per sequence.
    struct Decisions {
        /// (B, K) log-probabilities; a missing part's row is zeros.
        let image: Tensor
        /// (B, K), as `image`.
        let audio: Tensor
        /// Per sequence, whether its image and its sound are there.
        let present: [(image: Bool, audio: Bool)]

        init(image: Tensor, audio: Tensor, present: [(image: Bool, audio: Bool)]) {
            (self.image, self.audio, self.present) = (image, audio, present)
        }

        init(_ parts: PartFeatures) {
            self.init(
                image: parts.image.decision, audio: parts.audio.decision,
                present: zip(parts.image.present, parts.audio.present).map { (image: $0, audio: $1) })
        }

        /// Row `owners[r]` for sequence r: the decisions of the items that beams extend.
        func rows(_ owners: [Int]) -> Decisions {
            Decisions(
                image: image.gatheringRows(owners), audio: audio.gatheringRows(owners),
                present: owners.map { present[$0] })
        }
    }

    /// How the decoder starts from the decisions; weights `decision_gate.*`, `image_decision.*` and
    /// `audio_decision.*`.
    struct DecisionPath: Sendable {
        /// (W) -> 3 raw shares per position: the head's words, the image's decision, the sound's.
        let gate: Linear
        /// (K) probabilities -> one memory token (F) per part.
        let imageToken: Linear
        let audioToken: Linear
        /// (V, K): 1 where a word is a class's label. Fixed: it says which word a decision points at.
        let labelWords: Tensor

        init(scope: WeightScope, width: Int, memoryWidth: Int, vocabulary: [String], labels: [String]) throws {
            gate = try Linear(scope: scope.scope("decision_gate"), inFeatures: width, outFeatures: 3)
            imageToken = try Linear(
                scope: scope.scope("image_decision"), inFeatures: labels.count, outFeatures: memoryWidth)
            audioToken = try Linear(
                scope: scope.scope("audio_decision"), inFeatures: labels.count, outFeatures: memoryWidth)
            labelWords = Tensor(
                vocabulary.flatMap { word in labels.map { $0 == word ? 1 : 0 } },
                shape: [vocabulary.count, labels.count])
        }

        /// (B, S, F) memory and its flags -> (B, S + 2, F) with one token per part's decision.
        func memory(_ memory: Tensor, present: [[Bool]], decisions: Decisions) -> (Tensor, [[Bool]]) {
            let count = memory.shape[0]
            // (B, K) -> (B, F) -> (B, 1, F) per part.
            let tokens = [imageToken(decisions.image.exp()), audioToken(decisions.audio.exp())].map {
                $0.reshaped([count, 1, memory.shape[2]])
            }
            return (
                Tensor.concatenate([memory] + tokens, axis: 1),
                zip(present, decisions.present).map { $0 + [$1.image, $1.audio] }
            )
        }

        /// (B, T, V) head logits and (B, T, W) decoder states -> (B, T, V) log-probabilities of the mixture.
        func logProbabilities(head: Tensor, hidden: Tensor, decisions: Decisions) -> Tensor {
            let (count, vocabulary) = (hidden.shape[0], labelWords.shape[0])
            // (B, 1, 3): a missing part gets no share.
            let hideMissing = Tensor(
                decisions.present.flatMap { [0, $0.image ? 0 : -1e9, $0.audio ? 0 : -1e9] }, shape: [count, 1, 3])
            // (B, T, W) -> (B, T, 3).
            let shares = (gate(hidden) + hideMissing).softmax()
            // (B, K) probabilities -> (B, V) on the label words -> (B, 1, V); a missing part's share is zero.
            let pointed = { (decision: Tensor) in
                Tensor.linear(decision.exp(), weight: labelWords, bias: nil).reshaped([count, 1, vocabulary])
            }
            let mixture =
                head.softmax() * shares.sliced(axis: 2, 0..<1)
                + pointed(decisions.image) * shares.sliced(axis: 2, 1..<2)
                + pointed(decisions.audio) * shares.sliced(axis: 2, 2..<3)
            // The floor keeps a word that no share gives anything finite.
            return (mixture + 1e-12).log()
        }
    }

    /// One decoder layer: causal self-attention, cross-attention to the fused tokens, MLP, each pre-norm.
    struct Layer: Sendable {
        let selfAttentionNorm: LayerNorm
        let selfAttention: MultiHeadAttention
        let crossAttentionNorm: LayerNorm
        let crossAttention: MultiHeadAttention
        let feedForwardNorm: LayerNorm
        let feedForward: MLP

        init(scope: WeightScope, width: Int, heads: Int, memoryWidth: Int) throws {
            selfAttentionNorm = try LayerNorm(scope: scope.scope("self_attention_norm"), dimension: width)
            selfAttention = try MultiHeadAttention(scope: scope.scope("self_attention"), dimension: width, heads: heads)
            crossAttentionNorm = try LayerNorm(scope: scope.scope("cross_attention_norm"), dimension: width)
            crossAttention = try MultiHeadAttention(
                scope: scope.scope("cross_attention"), dimension: width, heads: heads, contextDimension: memoryWidth)
            feedForwardNorm = try LayerNorm(scope: scope.scope("feed_forward_norm"), dimension: width)
            feedForward = try MLP(
                scope: scope.scope("feed_forward"), widths: [width, 4 * width, width], activation: .gelu)
        }

        /// - Parameters:
        ///   - x: (B, T, W).
        ///   - memory: (B, S, F).
        func callAsFunction(_ x: Tensor, memory: Tensor, memoryMask: AttentionMask) -> Tensor {
            let written = x + selfAttention(selfAttentionNorm(x), mask: .causal)
            let attended =
                written + crossAttention(crossAttentionNorm(written), context: memory, mask: memoryMask)
            return attended + feedForward(feedForwardNorm(attended))
        }
    }

    let configuration: Configuration
    /// (V, W).
    let tokenEmbedding: Tensor
    /// (maxLength, W).
    let positionEmbedding: Tensor
    let layers: [Layer]
    let norm: LayerNorm
    let head: Linear
    /// Nil for a model trained before the decisions (``Configuration/fromDecisions``).
    let decisionPath: DecisionPath?

    /// - Parameters:
    ///   - vocabulary: The words by id.
    ///   - labels: The part classifiers' classes, whose decisions the decoder starts from.
    init(
        configuration: Configuration, vocabulary: [String], labels: [String], memoryWidth: Int, scope: WeightScope
    ) throws {
        self.configuration = configuration
        let (width, vocabularySize) = (configuration.width, vocabulary.count)
        tokenEmbedding = try scope.parameter(
            "token_embedding", shape: [vocabularySize, width], initializer: .normal(standardDeviation: 0.02))
        positionEmbedding = try scope.parameter(
            "position_embedding", shape: [configuration.maxLength, width],
            initializer: .normal(standardDeviation: 0.02))
        layers = try (0..<configuration.layers).map { index in
            try Layer(
                scope: scope.scope("layers.\(index)"), width: width, heads: configuration.heads,
                memoryWidth: memoryWidth)
        }
        norm = try LayerNorm(scope: scope.scope("norm"), dimension: width)
        head = try Linear(scope: scope.scope("head"), inFeatures: width, outFeatures: vocabularySize)
        decisionPath =
            configuration.fromDecisions
            ? try DecisionPath(
                scope: scope, width: width, memoryWidth: memoryWidth, vocabulary: vocabulary, labels: labels)
            : nil
    }

    /// The next-word logits at every position of `prefixes`, which all have the same length T ≤ maxLength.
    /// - Parameters:
    ///   - prefixes: B sequences of T ids, start marker first.
    ///   - memory: (B, S, F) fused tokens, row b for prefix b.
    ///   - memoryPresent: Per prefix, which of the S tokens it may attend to.
    ///   - decisions: The part classifiers' decisions, row b for prefix b.
    /// - Returns: (B, T, V) logits, which for a decoder that starts from the decisions are log-probabilities.
    func logits(prefixes: [[Int]], memory: Tensor, memoryPresent: [[Bool]], decisions: Decisions) -> Tensor {
        let length = prefixes.first?.count ?? 0
        // (B·T) ids -> (B, T, W), plus (T, W) broadcast over the batch.
        let embedded =
            tokenEmbedding.gatheringRows(prefixes.flatMap { $0 }, indexShape: [prefixes.count, length])
            + positionEmbedding.sliced(axis: 0, 0..<length)
        let (memory, memoryPresent) =
            decisionPath?.memory(memory, present: memoryPresent, decisions: decisions) ?? (memory, memoryPresent)
        let mask = AttentionMask.keys(present: memoryPresent)
        let hidden = norm(layers.reduce(embedded) { x, layer in layer(x, memory: memory, memoryMask: mask) })
        guard let decisionPath else { return head(hidden) }
        return decisionPath.logProbabilities(head: head(hidden), hidden: hidden, decisions: decisions)
    }
}
