import CFFmpeg

/// The Decode stage's entry point: sniffs an item's format from its bytes and runs the decoder for it.
public struct MediaDecoder: Sendable {
    public struct Options: Sendable, Equatable {
        public var maxPixels = PNGDecoder.defaultMaxPixels
        public var maxSamples = WAVDecoder.defaultMaxSamples
        /// PNG and text files are read whole; larger ones are refused.
        public var maxFileBytes = 1 << 30
        /// Image samples as bytes, or as floats that keep 16-bit precision.
        public var imageSamples = PNGDecoder.SampleType.uint8
        /// Resample audio (WAV and video soundtracks) to this rate; nil keeps the file's rate.
        public var sampleRate: Int?
        /// Down-mix audio to one channel, the mean of the channels.
        public var mono = false
        public var video = VideoDecoder.Options()
        /// Replace invalid text bytes with U+FFFD instead of failing.
        public var replaceInvalidText = false
        /// Decode JPEGs reduced in the DCT domain as far as keeps both sides at least this long
        /// (``JPEGDecoder/minimumSide``); nil decodes every pixel. The pipeline sets it from its image encoder.
        public var minimumImageSide: Int?

        public init() {}
    }

    public var options: Options

    public init(options: Options = .init()) {
        self.options = options
    }

    /// The format of an item, from its first bytes; its name only breaks ties and explains refusals.
    public func sniff(_ item: Item) throws(DecodeError) -> MediaFormat {
        let head: [UInt8]
        switch item.source {
        case .decoded:
            throw DecodeError(item.id, .unsupported("the item holds decoded media, which has no file format"))
        case .parts: throw Self.severalParts(item.id)
        case .text: return .text
        case .bytes(let bytes): head = Array(bytes.prefix(Self.probeLength))
        case .stream(let stream):
            head = try Self.reading(item.id) { () throws(InputError) in try stream.peek(count: Self.probeLength) }
        case .file(let path): head = try FileBytes(path: path, id: item.id).read(upTo: Self.probeLength)
        }
        let named = MediaFormat(fileExtension: fileExtension(of: item.id))
        guard !head.isEmpty else {
            // Zero bytes carry no magic number: only a text file's name makes an empty file meaningful.
            if named == .text { return .text }
            throw DecodeError(item.id, .empty)
        }
        if let format = MediaFormat.sniff(head) {
            if format == .text, let named, named != .text {
                throw DecodeError(item.id, .notA(named, because: "its content is text"))
            }
            return format
        }
        // What no magic number claims may still be a container FFmpeg knows (MPEG-TS, raw streams, ...).
        if let demuxer = FFmpegInput.demuxerName(forHead: head) {
            if Self.stillImageDemuxers.contains(demuxer) || demuxer.hasSuffix("_pipe") {
                throw DecodeError(
                    item.id,
                    .unsupported(
                        "\(demuxer.replacingOccurrences(of: "_pipe", with: "")) image; Braid decodes PNG, JPEG and WebP images"))
            }
            return .video
        }
        if let named, named != .text {
            throw DecodeError(item.id, .notA(named, because: "its first bytes are not a \(named.displayName) header"))
        }
        throw DecodeError(item.id, .unknownFormat)
    }

    /// How many leading bytes go to FFmpeg's probe when no magic number matched.
    static let probeLength = 4096

    /// FFmpeg demuxers of single images and animations that Braid does not treat as video.
    static let stillImageDemuxers: Set<String> = ["gif", "image2", "ico", "apng"]

    /// - Parameter reducer: Asked, with `.audio` for a WAV file or `.video` for a video, for the reducer that
    ///   summarises the clip or the soundtrack while it decodes (``Media/reducedAudio(_:)``,
    ///   ``Video/audioSummary``), so that memory does not grow with its length; nil keeps the samples.
    public func decode(
        _ item: Item, reducer: (Modality) -> (any AudioReducer)? = { _ in nil }
    ) throws(DecodeError) -> Media {
        switch item.source {
        case .text(let string): return .text(Text(string: string, encoding: .utf8))
        case .decoded(let media): return media
        case .parts: throw Self.severalParts(item.id)
        case .file, .bytes, .stream: break
        }
        let format = try sniff(item)
        switch format {
        case .text:
            let decoder = TextDecoder(replaceInvalid: options.replaceInvalidText)
            return .text(try decoder.decode(try bytes(of: item), source: item.id))
        case .png:
            let decoder = PNGDecoder(maxPixels: options.maxPixels)
            return .image(try decoder.decode(try bytes(of: item), as: options.imageSamples, source: item.id))
        case .jpeg:
            return .image(
                inRequestedSamples(
                    try JPEGDecoder(maxPixels: options.maxPixels, minimumSide: options.minimumImageSide).decode(
                        try bytes(of: item), source: item.id)))
        case .webp:
            return .image(
                inRequestedSamples(
                    try WebPDecoder(maxPixels: options.maxPixels).decode(try bytes(of: item), source: item.id)))
        case .wav:
            let decoder = WAVDecoder(maxSamples: options.maxSamples)
            if let reducer = reducer(.audio) {
                return .reducedAudio(
                    try decoder.reduce(try seekable(item), id: item.id, sampleRate: options.sampleRate, by: reducer))
            }
            return .audio(
                try decoder.decode(try seekable(item), id: item.id, sampleRate: options.sampleRate, mono: options.mono))
        case .audio, .video:
            // One opening of the container serves both: a stream (stdin) cannot be read twice.
            let input = try FFmpegInput(item.source, id: item.id)
            guard format == .video, input.bestStream(AVMEDIA_TYPE_VIDEO) != nil else {
                return try audioFileDecoder.decode(
                    input, sampleRate: options.sampleRate, mono: options.mono, reducer: reducer(.audio))
            }
            var videoOptions = options.video
            videoOptions.audioSampleRate = options.sampleRate
            var video = try videoDecoder.decode(input, options: videoOptions, soundtrack: reducer(.video))
            if options.mono { video.audio = video.audio?.mono() }
            return .video(video)
        }
    }

    /// An 8-bit image in the sample type the options ask for (PNG's decoder makes its own floats, from up to 16 bits).
    private func inRequestedSamples(_ image: Image) -> Image {
        guard options.imageSamples == .float32 else { return image }
        var floats = Image(
            width: image.width, height: image.height, channels: image.channels, samples: .float32(image.floatSamples))
        floats.orientation = image.orientation
        floats.animationFrames = image.animationFrames
        return floats
    }

    /// What the file's header says, without decoding its pixels or samples.
    public func probe(_ item: Item) throws(DecodeError) -> Probe {
        let format = try sniff(item)
        switch format {
        case .text:
            let text = try TextDecoder(replaceInvalid: options.replaceInvalidText).decode(
                try bytes(of: item), source: item.id)
            return .text(
                TextInfo(encoding: text.encoding.rawValue, characters: text.string.count, bytes: text.string.utf8.count)
            )
        case .png:
            return .png(try PNGDecoder(maxPixels: options.maxPixels).info(try bytes(of: item), source: item.id))
        case .jpeg:
            return .jpeg(try JPEGDecoder(maxPixels: options.maxPixels).info(try bytes(of: item), source: item.id))
        case .webp:
            return .webp(try WebPDecoder(maxPixels: options.maxPixels).info(try bytes(of: item), source: item.id))
        case .wav:
            return .wav(try WAVDecoder(maxSamples: options.maxSamples).info(try seekable(item), id: item.id))
        case .audio, .video:
            let input = try FFmpegInput(item.source, id: item.id)
            guard format == .video, input.bestStream(AVMEDIA_TYPE_VIDEO) != nil else {
                return .audio(try audioFileDecoder.info(input))
            }
            return .video(try videoDecoder.info(input))
        }
    }

    private func fileExtension(of id: String) -> String {
        guard let dot = id.lastIndex(of: "."), !id[dot...].contains("/") else { return "" }
        return id[id.index(after: dot)...].lowercased()
    }

    private var videoDecoder: VideoDecoder { VideoDecoder(maxPixels: options.maxPixels) }

    private var audioFileDecoder: AudioFileDecoder { AudioFileDecoder(maxSamples: options.maxSamples) }

    private func bytes(of item: Item) throws(DecodeError) -> [UInt8] {
        switch item.source {
        case .bytes(let bytes): return bytes
        case .text(let string): return Array(string.utf8)
        case .decoded: throw DecodeError(item.id, .unsupported("the item holds decoded media, not bytes"))
        case .parts: throw Self.severalParts(item.id)
        case .file(let path): return try FileBytes.readAll(path: path, id: item.id, limit: options.maxFileBytes)
        case .stream(let stream):
            let limit = options.maxFileBytes
            let bytes = try Self.reading(item.id) { () throws(InputError) in try stream.read(upTo: limit) }
            guard bytes.count <= limit else {
                throw DecodeError(item.id, .tooLarge("the stream holds more than \(limit) bytes"))
            }
            return bytes
        }
    }

    /// A source libsndfile can seek in: a stream is read into memory first, up to the file size limit.
    private func seekable(_ item: Item) throws(DecodeError) -> Item.Source {
        guard case .stream = item.source else { return item.source }
        return .bytes(try bytes(of: item))
    }

    /// An item of several parts reached a job that takes one medium per item.
    static func severalParts(_ id: String) -> DecodeError {
        DecodeError(
            id, .unsupported("an item of several parts (image and audio): fuse it ('--fuse', 'braid caption')"))
    }

    private static func reading<Value>(_ id: String, _ body: () throws(InputError) -> Value) throws(DecodeError)
        -> Value
    {
        do {
            return try body()
        } catch {
            throw DecodeError(id, .unreadable(error.description))
        }
    }
}

/// What `braid probe` prints for one item.
public enum Probe: Sendable, Equatable {
    case text(TextInfo)
    case png(PNGInfo)
    case jpeg(JPEGInfo)
    case webp(WebPInfo)
    case wav(WAVInfo)
    case audio(AudioFileInfo)
    case video(VideoInfo)

    public var format: MediaFormat {
        switch self {
        case .text: .text
        case .png: .png
        case .jpeg: .jpeg
        case .webp: .webp
        case .wav: .wav
        case .audio: .audio
        case .video: .video
        }
    }
}

public struct TextInfo: Sendable, Equatable, Codable {
    public var encoding: String
    public var characters: Int
    public var bytes: Int
}
