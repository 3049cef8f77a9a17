import BraidTensor
import Foundation

/// Embeds text with a BERT-family sentence-transformers model, all-MiniLM-L6-v2 by default: BERT
/// tokenisation, the BERT encoder, pooling (mean over the tokens for MiniLM) and L2 normalisation.
/// The vectors match sentence-transformers' `encode(..., normalize_embeddings=True)` for the same files.
///
/// A batch runs as forward passes of at most `tokensPerBatch` tokens each. The texts of a pass are
/// packed one after another rather than padded to the longest (see `BertModel`): no work goes to
/// padding whatever the mix of lengths, so there is no need to sort texts by length first.
public struct MiniLMEncoder: Encoder {
    public let name = "minilm"
    public let modality = Modality.text
    public let dimension: Int

    public let tokenizer: BertTokenizer
    let model: BertModel
    let pooling: SentencePooling
    /// The most tokens one forward pass takes.
    let tokensPerBatch: Int
    /// Large enough for the GEMMs to run at full speed (512 to 2048 measure the same on the corpus
    /// benchmark), small enough for a pipeline batch of 32 texts to make several passes for `threads`.
    public static let defaultTokensPerBatch = 1024
    /// How many forward passes a call to `embed` runs at once, each on its own thread. On 2 cores,
    /// 2 passes with single-threaded BLAS beat 1 pass with 2 BLAS threads by about 1.5× (many GEMMs
    /// here are too small to split well), so for `threads` > 1 keep `ThreadBudget` at 1.
    let threads: Int

    /// Loads the model in `files`.
    /// - Parameters:
    ///   - threads: Forward passes run at once by one `embed` call (see `threads`).
    ///   - tokensPerBatch: The most tokens of one forward pass; a longer text still runs, alone.
    /// - Throws: `ModelError` or `WeightError` naming the file that is unreadable, malformed or
    ///   does not fit the others.
    public init(files: ModelFiles, threads: Int = 1, tokensPerBatch: Int = defaultTokensPerBatch) throws {
        let configuration = try decodeJSON(BertConfiguration.self, from: files.configuration)
        let sentenceConfiguration = try decodeJSON(
            SentenceBertConfiguration.self, from: files.sentenceTransformerConfiguration)
        guard sentenceConfiguration.maxSeqLength <= configuration.maxPositionEmbeddings else {
            throw ModelError(
                files.sentenceTransformerConfiguration.path,
                .invalid(
                    "max_seq_length \(sentenceConfiguration.maxSeqLength) exceeds max_position_embeddings "
                        + "\(configuration.maxPositionEmbeddings) of config.json"))
        }
        guard sentenceConfiguration.doLowerCase != true else {
            // Lowercasing before the tokenizer is Python's `str.lower`, with rules of its own (final
            // sigma); uncased BERT tokenizers lowercase in their normalizer instead.
            throw ModelError(files.sentenceTransformerConfiguration.path, .unsupported("do_lower_case: true"))
        }
        tokenizer = try BertTokenizer(contentsOf: files.tokenizer, maxLength: sentenceConfiguration.maxSeqLength)
        if let largest = tokenizer.largestID, largest >= configuration.vocabSize {
            throw ModelError(
                files.tokenizer.path, .invalid("token id \(largest) is outside vocab_size \(configuration.vocabSize)"))
        }
        model = try BertModel(configuration: configuration, scope: .loading(SafeTensorsFile(contentsOf: files.weights)))
        pooling = try SentencePooling(contentsOf: files.pooling, hiddenSize: configuration.hiddenSize)
        dimension = configuration.hiddenSize
        self.tokensPerBatch = tokensPerBatch
        self.threads = threads
    }

    /// Loads the model in `folder` (HuggingFace sentence-transformers layout).
    public init(folder: URL, threads: Int = 1) throws {
        try self.init(files: ModelFiles(folder: folder), threads: threads)
    }

    public func encode(_ inputs: [Media]) throws -> [[Float]] {
        let texts = try inputs.map { input in
            guard case .text(let text) = input else { throw wrongModality(input) }
            return text.string
        }
        return embed(texts)
    }

    /// The unit-length sentence vectors of `texts`, in order.
    public func embed(_ texts: [String]) -> [[Float]] {
        embed(tokenized: texts.map { tokenizer.encode($0).ids })
    }

    /// The unit-length sentence vectors of already tokenised texts, in order. With `threads` > 1 the
    /// forward passes of different batches run concurrently, one per thread.
    func embed(tokenized sequences: [[Int32]]) -> [[Float]] {
        let work = BatchQueue(
            batches: Self.batches(sequences.map(\.count), tokensPerBatch: tokensPerBatch),
            empty: [Float](repeating: 0, count: dimension), count: sequences.count)
        DispatchQueue.concurrentPerform(iterations: min(threads, work.batches.count)) { _ in
            while let batch = work.next() {
                work.store(embed(batch.map { sequences[$0] }), at: batch)
            }
        }
        return work.vectors
    }

    /// One forward pass over `sequences`, then pooling and normalisation of each.
    private func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let hidden = withNoGrad { model(sequences) }  // (N, E)
        return hidden.withUnsafeBufferPointer { rows in
            var start = 0
            return sequences.map { sequence in
                defer { start += sequence.count }
                let tokens = UnsafeBufferPointer(
                    rebasing: rows[(start * dimension)..<((start + sequence.count) * dimension)])
                return pooling.normalizedSentenceVector(tokens, count: sequence.count, width: dimension)
            }
        }
    }

    /// A text's sentence vector (as ``embed(_:)`` gives it) and the last hidden state of each of its first
    /// `maxTokens` tokens, ([CLS] and [SEP] included), row-major (T, E): what a model that attends to the words reads.
    public func sentenceAndTokens(_ text: String, maxTokens: Int) -> (sentence: [Float], tokens: [Float]) {
        let sequence = tokenizer.encode(text).ids
        let hidden = withNoGrad { model([sequence]) }  // (T, E)
        return hidden.withUnsafeBufferPointer { rows in
            (
                pooling.normalizedSentenceVector(rows, count: sequence.count, width: dimension),
                Array(rows.prefix(min(maxTokens, sequence.count) * dimension))
            )
        }
    }

    /// Groups sequence indices, in order, into batches of at most `tokensPerBatch` tokens (or one
    /// sequence, if that alone is longer). Empty sequences (possible only with a tokenizer that adds
    /// no special tokens) are left out: there is nothing to run, their vector stays all zeros.
    static func batches(_ lengths: [Int], tokensPerBatch: Int) -> [[Int]] {
        var batches: [[Int]] = []
        var current: [Int] = []
        var currentTokens = 0
        for index in lengths.indices where lengths[index] > 0 {
            if !current.isEmpty, currentTokens + lengths[index] > tokensPerBatch {
                batches.append(current)
                current = []
                currentTokens = 0
            }
            current.append(index)
            currentTokens += lengths[index]
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}

/// The batches of one `embed` call, handed out to the threads that run them, and the vectors they return.
private final class BatchQueue: @unchecked Sendable {
    let batches: [[Int]]
    private let lock = NSLock()
    private var nextBatch = 0
    /// Guarded by `lock` while threads run; read once they are done.
    private(set) var vectors: [[Float]]

    /// - Parameter empty: The vector of sequences no batch holds.
    init(batches: [[Int]], empty: [Float], count: Int) {
        self.batches = batches
        vectors = [[Float]](repeating: empty, count: count)
    }

    /// The next batch to run, or nil when all are taken.
    func next() -> [Int]? {
        lock.withLock {
            defer { nextBatch += 1 }
            return nextBatch < batches.count ? batches[nextBatch] : nil
        }
    }

    /// Records the vectors of `batch`, in its order.
    func store(_ batchVectors: [[Float]], at batch: [Int]) {
        lock.withLock {
            for (index, vector) in zip(batch, batchVectors) { vectors[index] = vector }
        }
    }
}
