import Foundation

/// Everything one embedding run needs: where items come from, how each stage runs and where results go.
///
/// `braid embed` fills it from flags and `braid run` from a pipeline file (``PipelineSpec``); both hand it to
/// ``EmbedPipeline``, so the two commands cannot drift apart.
public struct EmbedJob: Sendable, Equatable {
    /// How many items a stage works on at once and how many finished ones may wait for the next stage.
    public struct StageSettings: Sendable, Equatable {
        public var jobs: Int
        public var buffer: Int

        public init(jobs: Int, buffer: Int) {
            self.jobs = jobs
            self.buffer = buffer
        }
    }

    public var origin: ItemSource.Origin
    public var filter: ExtensionFilter
    public var decoding: MediaDecoder.Options
    public var decodeStage: StageSettings
    /// Encoder names by modality; modalities left out use the registry's default.
    public var encoders: [Modality: String]
    public var encodeStage: StageSettings
    /// Items per encoder call; model-backed encoders run one forward pass per batch.
    public var batchSize: Int

    /// Decoded items that may wait for the encoder: one whole batch plus `decodeStage.buffer`.
    ///
    /// A whole batch, because the encoder takes `batchSize` items at a time: with less room, decoding stops while
    /// a batch encodes and the encoder then idles while the next batch decodes. With 8 places and `--jobs 1`,
    /// 10,000 small files ran at 5,454 items/s; with 32 + 8, at 9,396 items/s.
    public var decodeBufferSize: Int { batchSize + decodeStage.buffer }
    public var shard: Shard?
    /// An earlier run's output: ids already in it are skipped and new lines are appended to it.
    public var resume: String?
    /// `--db`: the vectors go into this SQLite database instead of JSON lines, and items it holds unchanged are
    /// skipped.
    public var database: Database?
    /// `--npy`: the vectors go into NumPy shards in this folder instead of JSON lines, and items its shards hold
    /// are skipped.
    public var numpy: NumPyOutput?
    /// How JSON lines write each vector (`--embedding-format`).
    public var embeddingFormat = EmbeddingFormat.float
    /// Compute threads of the whole run (BLAS and FFmpeg decoders); nil picks one per core.
    public var threads: Int?
    /// The Generate stage that takes the encode stage's place, when the pipeline file declares one.
    public var generation: GenerationSpec?
    /// The Fuse stage that joins the parts of multimodal items, when the pipeline file declares one.
    public var fusion: FusionSpec?

    public init(
        origin: ItemSource.Origin,
        filter: ExtensionFilter = ExtensionFilter(),
        decoding: MediaDecoder.Options = EmbedJob.defaultDecoding,
        decodeStage: StageSettings = EmbedJob.defaultDecodeStage,
        encoders: [Modality: String] = [:],
        encodeStage: StageSettings = EmbedJob.defaultEncodeStage,
        batchSize: Int = 32,
        shard: Shard? = nil,
        resume: String? = nil,
        threads: Int? = nil
    ) {
        self.origin = origin
        self.filter = filter
        self.decoding = decoding
        self.decodeStage = decodeStage
        self.encoders = encoders
        self.encodeStage = encodeStage
        self.batchSize = batchSize
        self.shard = shard
        self.resume = resume
        self.threads = threads
    }

    /// Where `--db` writes, and how.
    public struct Database: Sendable, Equatable {
        public var path: String
        /// The collection every vector goes to; nil names each encoder's collection after it.
        public var collection: String?
        /// Delete the rows whose source file is gone, at the end of the run.
        public var prune: Bool

        public init(path: String, collection: String? = nil, prune: Bool = false) {
            self.path = path
            self.collection = collection
            self.prune = prune
        }
    }

    /// Where `--npy` writes.
    public struct NumPyOutput: Sendable, Equatable {
        public var folder: String
        /// Rows per shard.
        public var shardSize: Int

        public init(folder: String, shardSize: Int = 100_000) {
            self.folder = folder
            self.shardSize = shardSize
        }
    }

    /// Decoding for embedding: a video is one item whose frames the encoder pools, so one frame per second,
    /// at most 64 spread over the whole length of a longer video, at 224×224 keeps any video's frames to about
    /// 10 MB. The soundtrack is summarised while it decodes (``EmbedPipeline``), so it adds nothing that grows.
    public static var defaultDecoding: MediaDecoder.Options {
        var options = MediaDecoder.Options()
        options.video.sampling = FrameSampling(.fps(1), maxFrames: 64, spreadOverDuration: true)
        options.video.size = (224, 224)
        return options
    }

    /// One job per core in each stage: measured on the 2-core reference machine with 10,000 small files, two
    /// jobs per stage beat one per stage by 1.8× (README, "Pipeline"), because the built-in encoders and the
    /// decoders are single-threaded per item; the thread budget then gives each job its share of BLAS threads.
    public static let defaultDecodeStage = StageSettings(jobs: ProcessInfo.processInfo.activeProcessorCount, buffer: 8)
    public static let defaultEncodeStage = StageSettings(jobs: ProcessInfo.processInfo.activeProcessorCount, buffer: 4)
}
