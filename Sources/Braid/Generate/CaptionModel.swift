import BraidTensor
import Foundation

/// A caption model's `config.json`: the encoders of its parts, its cross-attention fusion, its decoder and, for a
/// model trained with `--closed`, the only captions it writes.
///
/// ```json
/// {"architecture": "caption", "encoders": {"image": "handwritten-digits", "audio": "spoken-digits"},
///  "fusion": {"width": 64, "heads": 4},
///  "decoder": {"width": 64, "heads": 4, "layers": 2, "max_length": 16, "from_decisions": true},
///  "captions": ["a handwritten 0, spoken as zero", …]}
/// ```
struct CaptionConfiguration: Codable, Sendable, Equatable {
    var architecture = CaptionNetwork.architecture
    var encoders: PartEncoders.Names
    var fusion = CrossAttentionFusion.Configuration()
    var decoder = CaptionDecoder.Configuration()
    /// The closed set of captions (``ClosedCaptions``); nil for a model that may write any sequence of its words.
    var captions: [String]? = nil
}

/// The trainable part of a caption model: the fusion that joins the parts' tokens and the decoder that writes
/// from them. Weights `fusion.*` and `decoder.*`; the words in `tokenizer.json`.
struct CaptionNetwork: Sendable {
    static let architecture = "caption"

    let configuration: CaptionConfiguration
    let vocabulary: CaptionVocabulary
    let fusion: CrossAttentionFusion
    let decoder: CaptionDecoder
    let closedCaptions: ClosedCaptions?

    init(
        configuration: CaptionConfiguration, vocabulary: CaptionVocabulary, encoders: PartEncoders,
        scope: WeightScope
    ) throws {
        self.configuration = configuration
        self.vocabulary = vocabulary
        fusion = try CrossAttentionFusion(
            configuration: configuration.fusion, imageTokens: encoders.image.tokenShape,
            audioTokens: encoders.audio.tokenShape, imageWidth: encoders.image.embeddingSize,
            audioWidth: encoders.audio.embeddingSize, classes: nil, scope: scope.scope("fusion"))
        decoder = try CaptionDecoder(
            configuration: configuration.decoder, vocabulary: vocabulary.words, labels: encoders.labels,
            memoryWidth: configuration.fusion.width, scope: scope.scope("decoder"))
        closedCaptions = configuration.captions.map { captions in
            ClosedCaptions(captions.map(vocabulary.encode), startToken: vocabulary.startID, endToken: vocabulary.endID)
        }
    }

    /// Reads `config.json` and `tokenizer.json` from `folder`, loads the encoders they name and builds the network
    /// on `scope`.
    static func load(from folder: ModelFolder, scope: WeightScope, modelsDirectory: URL? = nil) throws -> (
        network: CaptionNetwork, encoders: PartEncoders
    ) {
        let configuration = try folder.json(CaptionConfiguration.self, from: "config.json")
        guard configuration.architecture == architecture else {
            throw ModelError(
                folder.path(of: "config.json"),
                .unsupported("a '\(configuration.architecture)' model, not a caption model"))
        }
        let vocabulary = try folder.json(CaptionVocabulary.self, from: "tokenizer.json")
        let encoders = try PartEncoders(configuration.encoders, modelsDirectory: modelsDirectory)
        return (
            try CaptionNetwork(configuration: configuration, vocabulary: vocabulary, encoders: encoders, scope: scope),
            encoders
        )
    }

    /// Decodes captions for fused tokens.
    /// - Parameters:
    ///   - memory: (B, S, W) fused tokens.
    ///   - present: Per item, which of the S tokens belong to present parts.
    ///   - decisions: The part classifiers' decisions, row b for item b.
    ///   - beam: Beams per item; 1 decodes greedily.
    func captions(
        memory: Tensor, present: [[Bool]], decisions: CaptionDecoder.Decisions, beam: Int
    ) -> [BeamSearch.Sequence] {
        let (count, tokens, width) = (memory.shape[0], memory.shape[1], memory.shape[2])
        let search = BeamSearch(
            width: beam, maxLength: decoder.configuration.maxLength, startToken: vocabulary.startID,
            endToken: vocabulary.endID)
        // (B, S, W) -> (B, S·W), so a prefix's item is one row to gather.
        let rows = memory.reshaped([count, tokens * width])
        return search.decode(count: count) { prefixes in
            withNoGrad {
                let owners = prefixes.map(\.sequence)
                // (R, S·W) -> (R, S, W): each prefix's item's tokens.
                let prefixMemory = rows.gatheringRows(owners).reshaped([prefixes.count, tokens, width])
                let length = prefixes[0].tokens.count
                let logits = decoder.logits(
                    prefixes: prefixes.map(\.tokens), memory: prefixMemory, memoryPresent: owners.map { present[$0] },
                    decisions: decisions.rows(owners))
                // (R, T, V) -> the last position's (R, V) as log-probabilities.
                let scores = logits.sliced(axis: 1, (length - 1)..<length).reshaped([prefixes.count, vocabulary.count])
                    .logSoftmax().scalars
                return prefixes.indices.map { row in
                    let next = Array(scores[row * vocabulary.count..<(row + 1) * vocabulary.count])
                    return closedCaptions?.restrict(next, after: prefixes[row].tokens) ?? next
                }
            }
        }
    }
}

/// A trained caption model loaded from its folder: `braid caption`'s Fuse and Generate stages.
public final class CaptionModel: Sendable {
    /// One item's caption.
    public struct Caption: Sendable, Equatable {
        public var text: String
        /// Each word and the probability the decoder gave it.
        public var words: [(text: String, probability: Float)]

        public static func == (a: Caption, b: Caption) -> Bool {
            a.text == b.text && a.words.map(\.text) == b.words.map(\.text)
                && a.words.map(\.probability) == b.words.map(\.probability)
        }
    }

    /// The model as it was named: a shipped name or a folder's path.
    public let name: String
    let network: CaptionNetwork
    let encoders: PartEncoders

    public init(folder: ModelFolder, modelsDirectory: URL? = nil) throws {
        (network, encoders) = try CaptionNetwork.load(
            from: folder, scope: .loading(try folder.weights()), modelsDirectory: modelsDirectory)
        name = folder.name
    }

    /// Loads the caption model `reference` names: a shipped model or a folder.
    public convenience init(named reference: String, modelsDirectory: URL? = nil) throws {
        try self.init(
            folder: try ModelLocator.folder(for: reference, modelsDirectory: modelsDirectory),
            modelsDirectory: modelsDirectory)
    }

    /// The shipped caption model `braid caption` uses unless told otherwise.
    public static let defaultName = "digit-captions"

    /// The Encode and Fuse stages' work: the parts' encoders and this model's fusion.
    public var fusion: Fusion { Fusion(name: name, encoders: encoders, network: .cross(network.fusion)) }

    /// Captions for items the Fuse stage joined (``fusion``).
    /// - Parameter beam: Beams per item; 1 decodes greedily.
    public func captions(_ items: [FusedItem], beam: Int) -> [Caption] {
        guard let shape = items.first?.tokenShape, !items.isEmpty else { return [] }
        // Each item's (S, W) tokens -> (B, S, W).
        let memory = Tensor(items.flatMap(\.tokens), shape: [items.count] + shape)
        let vocabulary = network.vocabulary
        // Each item's 2K decisions -> (B, K) per part.
        let classes = encoders.labels.count
        let decisions = CaptionDecoder.Decisions(
            image: Tensor(items.flatMap { $0.decisions.prefix(classes) }, shape: [items.count, classes]),
            audio: Tensor(items.flatMap { $0.decisions.suffix(classes) }, shape: [items.count, classes]),
            present: items.map { (image: $0.parts.contains(.image), audio: $0.parts.contains(.audio)) })
        return network.captions(
            memory: memory, present: items.map(\.tokenPresent), decisions: decisions, beam: beam
        ).map { sequence in
            Caption(
                text: vocabulary.text(of: sequence.tokens),
                words: zip(sequence.tokens, sequence.probabilities).map { (vocabulary.words[$0], $1) })
        }
    }
}

extension CaptionModel {
    /// Captions one item from its bytes, the pipeline's stages run one after another on the calling thread: what
    /// a caller with one pair at a time wants, and what `braid bench caption` times.
    /// - Throws: `DecodeError` or `EncodeError` naming the part that failed.
    public func caption(_ item: Item, decoder: MediaDecoder = MediaDecoder(), beam: Int = 3) throws -> (
        caption: Caption, parts: [Modality]
    ) {
        let fusion = fusion
        let decoded = DecodedParts(item: item, parts: try decoder.decodeParts(item))
        let fused = fusion.fuse(try fusion.encode([decoded]))
        return (captions(fused, beam: beam)[0], fused[0].parts)
    }
}
