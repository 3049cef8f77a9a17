import Foundation

/// config.json of a Hugging Face `CLIPModel`; the keys are the file's. transformers writes only the values that
/// differ from its defaults into the nested configurations, so an absent key takes the default of
/// `CLIPTextConfig`, `CLIPVisionConfig` or `CLIPConfig` (which are OpenAI's ViT-B/32 shapes).
public struct CLIPConfiguration: Decodable, Sendable, Equatable {
    public var modelType: String?
    public var textConfig: CLIPTextConfiguration
    public var visionConfig: CLIPVisionConfiguration
    /// The width of the shared embedding space.
    public var projectionDim: Int

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case textConfig = "text_config"
        case visionConfig = "vision_config"
        case projectionDim = "projection_dim"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try container.decodeIfPresent(String.self, forKey: .modelType)
        textConfig = try container.decodeIfPresent(CLIPTextConfiguration.self, forKey: .textConfig) ?? .init()
        visionConfig = try container.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .visionConfig) ?? .init()
        projectionDim = try container.decodeIfPresent(Int.self, forKey: .projectionDim) ?? 512
    }
}

/// What the text and the vision tower configure alike: the transformer blocks.
public protocol CLIPTowerConfiguration: Sendable {
    var hiddenSize: Int { get }
    var intermediateSize: Int { get }
    var numHiddenLayers: Int { get }
    var numAttentionHeads: Int { get }
    var hiddenAct: String { get }
    var layerNormEps: Float { get }
}

/// The text tower's `text_config`.
public struct CLIPTextConfiguration: CLIPTowerConfiguration, Decodable, Equatable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    /// The context length: the most tokens a text keeps.
    public var maxPositionEmbeddings = 77
    public var hiddenAct = "quick_gelu"
    public var layerNormEps: Float = 1e-5
    /// 2 in checkpoints older than transformers 4.31 (the value meant nothing then: the pooled token was found
    /// as the largest id); the `<|endoftext|>` id in newer ones.
    public var eosTokenId = 49407

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case eosTokenId = "eos_token_id"
    }

    init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try container.decode(.vocabSize, or: vocabSize)
        hiddenSize = try container.decode(.hiddenSize, or: hiddenSize)
        intermediateSize = try container.decode(.intermediateSize, or: intermediateSize)
        numHiddenLayers = try container.decode(.numHiddenLayers, or: numHiddenLayers)
        numAttentionHeads = try container.decode(.numAttentionHeads, or: numAttentionHeads)
        maxPositionEmbeddings = try container.decode(.maxPositionEmbeddings, or: maxPositionEmbeddings)
        hiddenAct = try container.decode(.hiddenAct, or: hiddenAct)
        layerNormEps = try container.decode(.layerNormEps, or: layerNormEps)
        eosTokenId = try container.decode(.eosTokenId, or: eosTokenId)
    }
}

/// The vision tower's `vision_config`.
public struct CLIPVisionConfiguration: CLIPTowerConfiguration, Decodable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 32
    public var hiddenAct = "quick_gelu"
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
    }

    init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try container.decode(.hiddenSize, or: hiddenSize)
        intermediateSize = try container.decode(.intermediateSize, or: intermediateSize)
        numHiddenLayers = try container.decode(.numHiddenLayers, or: numHiddenLayers)
        numAttentionHeads = try container.decode(.numAttentionHeads, or: numAttentionHeads)
        numChannels = try container.decode(.numChannels, or: numChannels)
        imageSize = try container.decode(.imageSize, or: imageSize)
        patchSize = try container.decode(.patchSize, or: patchSize)
        hiddenAct = try container.decode(.hiddenAct, or: hiddenAct)
        layerNormEps = try container.decode(.layerNormEps, or: layerNormEps)
    }

    /// Patches per side.
    public var gridSize: Int { imageSize / patchSize }
}

extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the key is absent: transformers' configuration files leave out
    /// what equals the default.
    func decode<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
