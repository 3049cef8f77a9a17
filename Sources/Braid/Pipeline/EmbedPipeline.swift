import BraidTensor
import Foundation
import Synchronization

/// Runs an ``EmbedJob``: Input -> Decode -> Encode -> Output, each stage behind a bounded buffer; a multimodal job
/// (``MultimodalWork``) adds a Fuse stage and, for captions, a Generate stage.
///
/// ```
///  ItemSource ──▶ skip (shard, resume) ──▶ decode ×jobs ─[buffer]─▶ encode ×jobs, in batches ─[buffer]─▶ JSONL
///                                                   multimodal: ─▶ fuse, in batches ─[buffer]─▶ generate ─[buffer]─▶
/// ```
///
/// Items come out in input order whatever finishes first. A failed item becomes an error line on the error
/// writer and the run goes on; the summary counts both. Memory is bounded by the stage settings: at most
/// `decode.jobs + decode.buffer + (2 + encode.jobs) × batch` decoded items (a batch decoded ahead, a batch forming,
/// one batch per encode job) and `encode.jobs + encode.buffer` encoded batches exist at once.
public struct EmbedPipeline: Sendable {
    public struct Summary: Sendable, Equatable {
        /// What the sink wrote, and whether the output's reader left early.
        public var output: EmbeddingSink.Summary
        /// Items the shard or the resume journal set aside.
        public var skipped: Int
    }

    /// The stage names `statistics` must be created with: `PipelineStatistics(stageNames: pipeline.stageNames)`.
    public var stageNames: [String] {
        switch work {
        case .single: ["input", "decode", "encode", "output"]
        case .multimodal(let work):
            ["input", "decode", "encode", "fuse"] + (work.generator == nil ? [] : ["generate"]) + ["output"]
        }
    }

    /// What follows the Decode stage.
    private enum Work: Sendable {
        /// One medium per item, one stage that makes each batch's lines (embedding, classifying, reconstructing).
        case single(any EncodeWork)
        /// Items of several parts: Encode, Fuse and maybe Generate.
        case multimodal(MultimodalWork)
    }

    public let job: EmbedJob
    private let work: Work

    /// The encoder name each modality's items get in this run: the job's choice or the registry's default.
    public let encoderNames: [Modality: String]

    /// Each encoder's vector length, by encoder name, for the encoders that can be built (a store checks what it
    /// holds against them before any item).
    public func encoderDimensions() -> [String: Int] {
        guard case .single(let encoders as EncoderSet) = work else { return [:] }
        return Dictionary(
            Modality.allCases.compactMap { try? encoders.encoder(for: $0) }.map { ($0.name, $0.dimension) },
            uniquingKeysWith: { first, _ in first })
    }

    /// Whether the run's lines are embeddings (what `--db` stores), not classes, captions or fused vectors.
    public var writesEmbeddings: Bool {
        if case .single(_ as EncoderSet) = work { true } else { false }
    }

    /// Builds the encoders the job names up front, so a missing model fails the run before any item is read;
    /// a modality's default encoder is built when its first item arrives, so a folder of images never loads a
    /// text model. Applies the job's thread budget.
    ///
    /// The budget splits `threads` (default: one per core) over the concurrent work of each stage: every encoder
    /// call may use `threads / encode jobs` BLAS threads and every video decoder `threads / decode jobs` FFmpeg
    /// threads, so neither stage alone asks for more threads than there are cores.
    public init(job: EmbedJob, registry: EncoderRegistry = .builtIn, context: EncoderContext = EncoderContext()) throws
    {
        try registry.validate(job.encoders)
        let encoders = EncoderSet(
            registry: registry, choices: job.encoders, context: context,
            lineFormat: job.database != nil || job.numpy != nil ? nil : job.embeddingFormat)
        for modality in job.encoders.keys { _ = try encoders.encoder(for: modality) }
        self.init(job: job, work: encoders)
    }

    /// A pipeline whose encode stage does `work` instead of embedding (``Classification``, for `braid classify`).
    public init(job: EmbedJob, work: any EncodeWork) {
        self.init(job: job, stages: .single(work))
    }

    /// A pipeline of multimodal items: each item's parts are encoded, fused, and captioned or written as fused
    /// embeddings.
    public init(job: EmbedJob, multimodal work: MultimodalWork) {
        self.init(job: job, stages: .multimodal(work))
    }

    private init(job: EmbedJob, stages: Work) {
        var job = job
        let threads = job.threads ?? ProcessInfo.processInfo.activeProcessorCount
        ThreadBudget.setComputeThreads(max(1, threads / max(1, job.encodeStage.jobs)))
        job.decoding.video.threads = max(1, threads / max(1, job.decodeStage.jobs))
        self.job = job
        self.work = stages
        if case .single(let encoders as EncoderSet) = stages {
            encoderNames = encoders.names
        } else {
            encoderNames = job.encoders
        }
    }

    /// Streams every item through the stages and writes one line per item.
    ///
    /// - Parameters:
    ///   - output: Where embeddings go, one JSON line each.
    ///   - errors: Where failed items go, one JSON line each.
    ///   - statistics: Filled with per-stage counts and times when given (`--stats`).
    ///   - progress: Advanced once per item written or failed.
    ///   - store: Where vectors go instead of `output` (`--db`, `--npy`); the items it holds are skipped.
    public func run(
        output: JSONLWriter, errors: JSONLWriter, store: (any EmbeddingStore)? = nil,
        statistics: PipelineStatistics? = nil, progress: ProgressBar? = nil
    ) async throws -> Summary {
        let journal = try job.resume.map { path throws(OutputError) in try ResumeJournal(path: path) }
        let shard = job.shard
        let skipped = SkipCounter()
        let selected = ItemSource(job.origin, filter: job.filter).map { record in
            // Hashing a file costs a read, far less than decoding it.
            guard store?.comparesContent == true, case .success(var item) = record else { return record }
            item.contentHash = ContentHash.of(item)
            return .success(item)
        }.filter { record in
            var keep = (shard?.contains(record.id) ?? true) && !(journal?.contains(record.id) ?? false)
            if keep, let store, case .success(let item) = record {
                keep = !store.holds(id: item.id, contentHash: item.contentHash)
            }
            if !keep { skipped.add() }
            return keep
        }.measured(by: statistics?.stage("input"))
        let sink = EmbeddingSink(
            output: output, errors: errors, store: store, progress: progress,
            statistics: statistics?.stage("output"))
        let (batchSize, encodeStage) = (job.batchSize, job.encodeStage)
        let streamsStandardInput = job.origin.streamsStandardInput
        func batched<Records: AsyncSequence & Sendable, Value: Identifiable & Sendable, Output: Sendable>(
            _ records: Records, stage: String, _ transform: @escaping @Sendable ([Value]) throws -> [Output]
        ) -> some AsyncSequence<Result<Output, ItemFailure>, any Error> & Sendable
        where Records.Element == Result<Value, ItemFailure>, Value.ID == String {
            records.batchedItemStage(
                batchSize: batchSize, jobs: encodeStage.jobs, bufferSize: encodeStage.buffer,
                statistics: statistics?.stage(stage),
                closingSignal: streamsStandardInput ? InputStall.standardInput.ticks(every: .milliseconds(20)) : nil,
                transform)
        }
        let summary: EmbeddingSink.Summary
        switch work {
        case .single(let work):
            var options = job.decoding
            options.minimumImageSide = work.minimumImageSide
            let decoder = MediaDecoder(options: options)
            let decoded = selected.itemStage(
                jobs: job.decodeStage.jobs, bufferSize: job.decodeBufferSize, statistics: statistics?.stage("decode")
            ) { item in
                DecodedItem(item: item, media: try decoder.decode(item, reducer: work.audioReducer(for:)))
            }
            summary = try await sink.drain(batched(decoded, stage: "encode", work.lines(for:)))
        case .multimodal(let work):
            let decoder = MediaDecoder(options: job.decoding)
            let decoded = selected.itemStage(
                jobs: job.decodeStage.jobs, bufferSize: job.decodeBufferSize, statistics: statistics?.stage("decode")
            ) { item in
                DecodedParts(item: item, parts: try decoder.decodeParts(item))
            }
            let fused = batched(batched(decoded, stage: "encode", work.fusion.encode), stage: "fuse", work.fusion.fuse)
            if let generator = work.generator {
                summary = try await sink.drain(batched(fused, stage: "generate", generator.lines(for:)))
            } else {
                let (name, format) = (work.fusion.name, job.embeddingFormat)
                summary = try await sink.drain(
                    fused.map { $0.map { RenderedLine(FusedEmbeddingRecord(item: $0, model: name, format: format)) } })
            }
        }
        return Summary(output: summary, skipped: skipped.value)
    }

    /// What the encode stage of a one-medium pipeline makes of a batch (`braid bench pipeline`).
    public func lines(for batch: [DecodedItem]) throws -> [RenderedLine] {
        guard case .single(let work) = work else { throw MediaDecoder.severalParts(batch.first?.id ?? "batch") }
        return try work.lines(for: batch)
    }
}

/// What the encode stage makes of a batch of decoded items: one output line per item, in the batch's order.
public protocol EncodeWork: Sendable {
    /// - Throws: When the batch as a whole fails; the stage then retries its items one by one, so only the bad ones
    ///   fail.
    func lines(for batch: [DecodedItem]) throws -> [RenderedLine]

    /// What the work would make of a clip's (`.audio`) or a video's (`.video`) sound, for the decoder to make while
    /// it decodes, so that long sound is never held; nil keeps the samples.
    func audioReducer(for modality: Modality) -> (any AudioReducer)?

    /// The shortest side the work needs of an image, for the decoder to decode a JPEG no larger than that needs
    /// (``Encoder/minimumImageSide``); nil when it needs every pixel.
    var minimumImageSide: Int? { get }
}

extension EncodeWork {
    public var minimumImageSide: Int? { nil }
}

extension EncoderSet: EncodeWork {
    func lines(for batch: [DecodedItem]) throws -> [RenderedLine] {
        try encode(batch).map { record in
            lineFormat.map { RenderedLine(record, embedding: $0) } ?? RenderedLine(keeping: record)
        }
    }

    /// Embeds a batch: one encoder call per modality present, in the batch's order.
    func encode(_ batch: [DecodedItem]) throws -> [EmbeddingRecord] {
        var records = [EmbeddingRecord?](repeating: nil, count: batch.count)
        for modality in Modality.allCases {
            let positions = batch.indices.filter { batch[$0].media.modality == modality }
            guard !positions.isEmpty else { continue }
            let encoder = try encoder(for: modality)
            let vectors = try encoder.encode(positions.map { batch[$0].media })
            guard vectors.count == positions.count else {
                throw EncodeError.batchSizeMismatch(
                    encoder: encoder.name, expected: positions.count, got: vectors.count)
            }
            for (position, vector) in zip(positions, vectors) {
                let item = batch[position]
                records[position] = EmbeddingRecord(
                    item: item.item, modality: modality, encoder: encoder.name, embedding: vector, meta: item.media.meta
                )
            }
        }
        return records.compactMap { $0 }
    }
}

/// An item and what its decoder produced, on its way to the encoder.
public struct DecodedItem: Identifiable, Sendable {
    public let item: Item
    public let media: Media

    public init(item: Item, media: Media) {
        self.item = item
        self.media = media
    }

    public var id: String { item.id }
}

/// The run's encoder for each modality, built on first use and shared by every encode job.
final class EncoderSet: Sendable {
    private let registry: EncoderRegistry
    private let choices: [Modality: String]
    private let context: EncoderContext
    private let built = Mutex<[Modality: any Encoder]>([:])
    /// How the records' lines write their vectors; nil keeps the records for a store instead of formatting them.
    private let lineFormat: EmbeddingFormat?

    init(
        registry: EncoderRegistry, choices: [Modality: String], context: EncoderContext,
        lineFormat: EmbeddingFormat? = .float
    ) {
        self.registry = registry
        self.choices = choices
        self.context = context
        self.lineFormat = lineFormat
    }

    /// Each modality's encoder name: the choice, else the registry's default.
    var names: [Modality: String] {
        Dictionary(uniqueKeysWithValues: Modality.allCases.compactMap { modality in
            (choices[modality] ?? registry.defaultName(for: modality)).map { (modality, $0) }
        })
    }

    func encoder(for modality: Modality) throws -> any Encoder {
        try built.withLock { built in
            if let encoder = built[modality] { return encoder }
            let encoder = try registry.makeEncoder(for: modality, choices: choices, context: context)
            built[modality] = encoder
            return encoder
        }
    }

    /// What the encoder of a modality would make of a clip's (`.audio`) or a video's (`.video`) sound, for the
    /// decoder to make while it decodes, so that long sound is never held. Nil, and the samples are kept, when
    /// that encoder cannot take sound piece by piece or cannot be built (the encode stage then reports why).
    func audioReducer(for modality: Modality) -> (any AudioReducer)? {
        switch modality {
        case .audio: (try? encoder(for: .audio)) as? any AudioReducer
        case .video: ((try? encoder(for: .video)) as? VideoFeaturesEncoder)?.audioReducer
        case .text, .image: nil
        }
    }

    var minimumImageSide: Int? { (try? encoder(for: .image))?.minimumImageSide }
}

/// Counts items the shard or the resume journal set aside; the filter runs on the source's task.
private final class SkipCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
