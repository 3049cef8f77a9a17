// CLIP's text tower: Radford et al., "Learning Transferable Visual Models From Natural Language Supervision",
// ICML 2021. A causal transformer over at most 77 tokens; the text's feature is the final state of its
// <|endoftext|> token. Port of CLIPTextEmbeddings and CLIPTextTransformer in
// https://github.com/huggingface/transformers/blob/v4.57.1/src/transformers/models/clip/modeling_clip.py.
//
// Dimension legend: B texts; N tokens of all texts, packed one after another (no padding); E hidden size.

import BraidTensor
import Foundation

/// Keys under `text_model.`.
struct CLIPTextTransformer: Sendable {
    let tokenEmbedding: Embedding  // embeddings.token_embedding
    let positionEmbedding: Embedding  // embeddings.position_embedding
    let layers: [CLIPEncoderLayer]  // encoder.layers.<i>
    let finalLayerNorm: LayerNorm  // final_layer_norm
    /// The token whose final state is the text's; nil in legacy checkpoints (`eos_token_id` 2), where it is the
    /// token with the largest id, as transformers decides.
    let pooledTokenID: Int32?

    init(configuration: CLIPTextConfiguration, scope: WeightScope) throws {
        let width = configuration.hiddenSize
        tokenEmbedding = try Embedding(
            scope: scope.scope("embeddings.token_embedding"), count: configuration.vocabSize, dimension: width)
        positionEmbedding = try Embedding(
            scope: scope.scope("embeddings.position_embedding"), count: configuration.maxPositionEmbeddings,
            dimension: width)
        layers = try CLIPEncoderLayer.stack(configuration, scope: scope)
        finalLayerNorm = try LayerNorm(
            scope: scope.scope("final_layer_norm"), dimension: width, epsilon: configuration.layerNormEps)
        pooledTokenID = configuration.eosTokenId == 2 ? nil : Int32(configuration.eosTokenId)
    }

    /// - Parameter sequences: token ids, each at most `max_position_embeddings` long, every id in the vocabulary.
    /// - Returns: `(B, E)`: each text's pooled state.
    func callAsFunction(_ sequences: [[Int32]]) -> Tensor {
        let tokens = tokenEmbedding(sequences.flatMap { $0.map(Int.init) })  // (N, E)
        let placed = tokens + positionEmbedding(sequences.flatMap { 0..<$0.count })  // (N, E)
        let lengths = sequences.map(\.count)
        let hidden = layers.reduce(placed) { hidden, layer in layer(hidden, lengths: lengths, causal: true) }
        var start = 0
        let pooledRows = sequences.map { sequence in
            defer { start += sequence.count }
            return start + pooledPosition(in: sequence)
        }
        // The norm works row by row, so only the pooled rows need it.
        return finalLayerNorm(hidden.gatheringRows(pooledRows))  // (B, E)
    }

    /// The position of the first `pooledTokenID`, or of the first largest id (PyTorch's `argmax`).
    private func pooledPosition(in sequence: [Int32]) -> Int {
        if let pooledTokenID { return sequence.firstIndex(of: pooledTokenID) ?? 0 }
        guard let largest = sequence.max() else { return 0 }
        return sequence.firstIndex(of: largest) ?? 0
    }
}
