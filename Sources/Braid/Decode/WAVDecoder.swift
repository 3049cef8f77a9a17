import CFFmpeg
import CSndFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `braid probe` reports for a WAV file.
public struct WAVInfo: Sendable, Equatable, Codable {
    public var sampleRate: Int
    public var channels: Int
    public var frames: Int
    /// `wav`, `wavex` (WAVE_FORMAT_EXTENSIBLE) or `rf64`.
    public var container: String
    /// `pcm_u8`, `pcm_s16`, `pcm_s24`, `pcm_s32`, `float32`, `float64`, `mulaw`, `alaw`, …
    public var sampleFormat: String

    public var duration: Double { Double(frames) / Double(sampleRate) }
}

/// Decodes WAV with libsndfile, from a path or from memory, to float samples in [-1, 1].
///
/// Integer PCM is scaled by libsndfile's normalisation (s16 / 32768), as soundfile does, so the
/// samples equal `soundfile.read(path, dtype="float32")`.
public struct WAVDecoder: Sendable {
    /// Clips with more samples (frames × channels) than this are refused before decoding.
    public var maxSamples: Int

    /// 2^27 float samples: 512 MiB, about 23 minutes of 48 kHz stereo.
    public static let defaultMaxSamples = 1 << 27

    public init(maxSamples: Int = WAVDecoder.defaultMaxSamples) {
        self.maxSamples = maxSamples
    }

    public func info(_ source: Item.Source, id: String) throws(DecodeError) -> WAVInfo {
        try WAVReader(source, id: id).info
    }

    /// Decodes the whole clip, then down-mixes (`mono`: the mean of the channels) and resamples
    /// (`sampleRate`, with libswresample) when asked.
    public func decode(_ source: Item.Source, id: String, sampleRate: Int? = nil, mono: Bool = false)
        throws(DecodeError) -> Audio
    {
        let reader = try WAVReader(source, id: id)
        let info = reader.info
        guard info.frames * info.channels <= maxSamples else {
            throw DecodeError(
                id,
                .tooLarge(
                    "\(info.frames) frames × \(info.channels) channels is over the limit of \(maxSamples) samples (--max-samples)"
                ))
        }
        var audio = Audio(sampleRate: info.sampleRate, channels: info.channels, samples: try reader.readAll())
        if mono { audio = audio.mono() }
        if let sampleRate {
            // Upsampling multiplies the samples: a 1 Hz header asked for 48 kHz would need 48 000 times the memory.
            let resampled = Double(audio.samples.count) * Double(sampleRate) / Double(info.sampleRate)
            guard resampled <= Double(maxSamples) else {
                throw DecodeError(
                    id,
                    .tooLarge(
                        "resampling \(info.sampleRate) Hz to \(sampleRate) Hz goes over the limit of \(maxSamples) samples (--max-samples)"
                    ))
            }
            audio = try AudioResampler.resample(audio, to: sampleRate, source: id)
        }
        return audio
    }

    /// Streams the clip through `reducer` a chunk at a time, resampled to `sampleRate` when asked, so memory stays
    /// the same however long the clip: `maxSamples` does not apply, as no samples are kept.
    public func reduce(_ source: Item.Source, id: String, sampleRate: Int? = nil, by reducer: any AudioReducer)
        throws(DecodeError) -> AudioSummary
    {
        let reader = try WAVReader(source, id: id)
        let info = reader.info
        let outputRate = sampleRate ?? info.sampleRate
        let resampler =
            outputRate == info.sampleRate
            ? nil
            : try AudioResampler(
                channels: info.channels, inputFormat: AV_SAMPLE_FMT_FLT, inputRate: info.sampleRate,
                outputRate: outputRate, source: id)
        let reduction: any AudioReduction
        do {
            reduction = try reducer.makeReduction(sampleRate: outputRate, channels: info.channels)
        } catch {
            throw DecodeError(id, .unsupported("cannot summarise the audio: \(error)"))
        }
        var framesRead = 0
        var framesReduced = 0
        func consume(_ samples: [Float]) {
            samples.withUnsafeBufferPointer { reduction.consume($0) }
            framesReduced += samples.count / info.channels
        }
        while true {
            let chunk = reader.read(frames: WAVReader.chunkFrames)
            if chunk.isEmpty { break }
            framesRead += chunk.count / info.channels
            consume(resampler.map { $0.convert(chunk) } ?? chunk)
        }
        if let resampler { consume(resampler.flush()) }
        try reader.checkComplete(framesRead: framesRead)
        return AudioSummary(
            reducer: reducer.name, sampleRate: outputRate, channels: info.channels, frameCount: framesReduced,
            values: reduction.finish())
    }
}

/// An open libsndfile handle over a file or a byte buffer; reads in chunks so long clips can stream.
final class WAVReader {
    let info: WAVInfo
    private let id: String
    private var handle: OpaquePointer?
    private var memory: MemoryFile?

    init(_ source: Item.Source, id: String) throws(DecodeError) {
        self.id = id
        var format = SF_INFO()
        switch source {
        case .file(let path):
            let header = try WAVReader.readHead(path: path, id: id)
            try WAVHeader.validate(head: header.bytes, fileSize: header.fileSize, id: id)
            handle = sf_open(path, Int32(SFM_READ), &format)
        case .bytes(let bytes):
            try WAVHeader.validate(head: bytes.prefix(1 << 16), fileSize: bytes.count, id: id)
            let file = MemoryFile(bytes)
            memory = file
            var io = MemoryFile.virtualIO
            handle = sf_open_virtual(&io, Int32(SFM_READ), &format, Unmanaged.passUnretained(file).toOpaque())
        case .text:
            throw DecodeError(id, .notA(.wav, because: "it is text"))
        case .decoded:
            throw DecodeError(id, .notA(.wav, because: "it is already decoded"))
        case .parts:
            throw DecodeError(id, .notA(.wav, because: "it is an item of several parts"))
        case .stream:
            throw DecodeError(id, .unsupported("libsndfile needs a file or bytes in memory, not a one-pass stream"))
        }
        guard handle != nil else {
            let reason = String(cString: sf_strerror(nil))
            throw DecodeError(id, .corrupt("libsndfile: \(reason)"))
        }
        guard format.samplerate > 0, format.channels > 0 else {
            sf_close(handle)
            throw DecodeError(id, .corrupt("header gives \(format.samplerate) Hz and \(format.channels) channels"))
        }
        // A header may claim any rate; past what any recorder makes, every later stage (resampling, spectra
        // with windows sized in samples) would spend its time on a nonsense value.
        guard AudioResampler.supportedRates ~= Int(format.samplerate) else {
            sf_close(handle)
            throw DecodeError(
                id,
                .unsupported(
                    "sample rate \(format.samplerate) Hz; rates up to \(AudioResampler.supportedRates.upperBound) Hz are decoded"
                ))
        }
        info = WAVInfo(
            sampleRate: Int(format.samplerate), channels: Int(format.channels), frames: Int(format.frames),
            container: Self.containerName(format.format), sampleFormat: Self.sampleFormatName(format.format))
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` frames; an empty result means the end.
    func read(frames: Int) -> [Float] {
        var chunk = [Float](repeating: 0, count: frames * info.channels)
        let got = Int(
            chunk.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(frames)) })
        chunk.removeLast(chunk.count - got * info.channels)
        return chunk
    }

    static let chunkFrames = 65_536

    func readAll() throws(DecodeError) -> [Float] {
        var samples = [Float]()
        samples.reserveCapacity(info.frames * info.channels)
        while true {
            let chunk = read(frames: Self.chunkFrames)
            if chunk.isEmpty { break }
            samples += chunk
        }
        try checkComplete(framesRead: samples.count / info.channels)
        return samples
    }

    /// After the last read: throws when libsndfile failed or the data ended before the header's frame count.
    func checkComplete(framesRead: Int) throws(DecodeError) {
        let error = sf_error(handle)
        if error != 0 { throw DecodeError(id, .corrupt("libsndfile: \(String(cString: sf_error_number(error)))")) }
        guard framesRead == info.frames else {
            throw DecodeError(id, .truncated("header announces \(info.frames) frames, data holds \(framesRead)"))
        }
    }

    private static func readHead(path: String, id: String) throws(DecodeError) -> (bytes: [UInt8], fileSize: Int) {
        let file = try FileBytes(path: path, id: id)
        return (try file.read(upTo: 1 << 16), file.size)
    }

    private static func containerName(_ format: Int32) -> String {
        switch Int(format) & SF_FORMAT_TYPEMASK {
        case SF_FORMAT_WAVEX: "wavex"
        case SF_FORMAT_RF64: "rf64"
        default: "wav"
        }
    }

    private static func sampleFormatName(_ format: Int32) -> String {
        switch Int(format) & SF_FORMAT_SUBMASK {
        case SF_FORMAT_PCM_U8: "pcm_u8"
        case SF_FORMAT_PCM_S8: "pcm_s8"
        case SF_FORMAT_PCM_16: "pcm_s16"
        case SF_FORMAT_PCM_24: "pcm_s24"
        case SF_FORMAT_PCM_32: "pcm_s32"
        case SF_FORMAT_FLOAT: "float32"
        case SF_FORMAT_DOUBLE: "float64"
        case SF_FORMAT_ULAW: "mulaw"
        case SF_FORMAT_ALAW: "alaw"
        case SF_FORMAT_IMA_ADPCM: "ima_adpcm"
        case SF_FORMAT_MS_ADPCM: "ms_adpcm"
        case SF_FORMAT_GSM610: "gsm610"
        default: "other"
        }
    }
}
