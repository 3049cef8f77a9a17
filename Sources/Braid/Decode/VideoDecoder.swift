import CFFmpeg
import Foundation

/// What `braid probe` reports for a video.
public struct VideoInfo: Sendable, Equatable, Codable {
    public struct AudioStream: Sendable, Equatable, Codable {
        public var codec: String
        public var sampleRate: Int
        public var channels: Int
    }

    public var container: String
    public var codec: String
    /// As stored, before the display matrix turns it.
    public var width: Int
    public var height: Int
    /// Clockwise degrees the display matrix turns the frames (a phone video recorded upright: 90), as ffmpeg reads
    /// it; nil without a matrix.
    public var rotation: Double?
    /// Whether the display matrix also mirrors the frames.
    public var mirrored: Bool
    /// The size Braid's (and ffmpeg's) frames have: turned by the display matrix.
    public var displayWidth: Int
    public var displayHeight: Int
    public var fps: Double
    public var duration: Double?
    /// Frames the container records, or an estimate from duration × fps (`frameCountIsEstimate`).
    public var frameCount: Int?
    public var frameCountIsEstimate: Bool
    public var audio: AudioStream?
}

/// Which decoded frames to keep.
public struct FrameSampling: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// Every `n`-th frame in decode order, starting with the first; `every(1)` keeps all frames.
        case every(Int)
        /// The first frame at or after each tick of a clock running at this many frames per second.
        case fps(Double)
        /// Key frames only; the decoder skips the others without decoding them.
        case keyframes
    }

    public var rule: Rule
    public var maxFrames: Int?
    /// With an `fps` rule and `maxFrames`: when the container states a duration over which the rule would keep
    /// more than `maxFrames` frames, slow the clock so that `maxFrames` frames cover the whole video rather than
    /// its beginning. A stream of unknown length keeps the rule as given.
    public var spreadOverDuration: Bool

    public init(_ rule: Rule = .every(1), maxFrames: Int? = nil, spreadOverDuration: Bool = false) {
        self.rule = rule
        self.maxFrames = maxFrames
        self.spreadOverDuration = spreadOverDuration
    }

    /// The rule to apply to a stream of this duration (seconds, when known).
    func rule(forDuration duration: Double?) -> Rule {
        guard spreadOverDuration, case .fps(let rate) = rule, let maxFrames, let duration, duration > 0,
            rate * duration > Double(maxFrames)
        else { return rule }
        return .fps(Double(maxFrames) / duration)
    }

    public static let all = FrameSampling()
}

/// Decodes video with FFmpeg (libavformat, libavcodec), samples frames and converts them with libswscale
/// to packed RGB (bilinear, as `ffmpeg -vf scale=W:H:flags=bilinear`) at the source or a requested size;
/// decodes the best audio track to float samples.
public struct VideoDecoder: Sendable {
    public struct Options: Sendable, Equatable {
        public var sampling: FrameSampling
        /// Output frame size; nil keeps the source size.
        public var size: (width: Int, height: Int)?
        /// Decode the audio track too (at `audioSampleRate`, or its own rate when nil).
        public var includeAudio: Bool
        public var audioSampleRate: Int?
        /// Decoder threads; 0 lets FFmpeg pick one per core.
        public var threads: Int

        public init(
            sampling: FrameSampling = .all, size: (width: Int, height: Int)? = nil, includeAudio: Bool = true,
            audioSampleRate: Int? = nil, threads: Int = 0
        ) {
            self.sampling = sampling
            self.size = size
            self.includeAudio = includeAudio
            self.audioSampleRate = audioSampleRate
            self.threads = threads
        }

        public static func == (lhs: Options, rhs: Options) -> Bool {
            lhs.sampling == rhs.sampling && lhs.size?.width == rhs.size?.width && lhs.size?.height == rhs.size?.height
                && lhs.includeAudio == rhs.includeAudio && lhs.audioSampleRate == rhs.audioSampleRate
                && lhs.threads == rhs.threads
        }
    }

    /// Frames larger than this many pixels are refused before decoding.
    public var maxPixels: Int
    /// The decoded frames and audio of one call may hold at most this many bytes.
    public var maxDecodedBytes: Int

    public static let defaultMaxDecodedBytes = 1 << 30

    public init(
        maxPixels: Int = PNGDecoder.defaultMaxPixels, maxDecodedBytes: Int = VideoDecoder.defaultMaxDecodedBytes
    ) {
        self.maxPixels = maxPixels
        self.maxDecodedBytes = maxDecodedBytes
    }

    public func info(_ source: Item.Source, id: String) throws(DecodeError) -> VideoInfo {
        try info(FFmpegInput(source, id: id))
    }

    func info(_ input: FFmpegInput) throws(DecodeError) -> VideoInfo {
        let id = input.id
        guard let videoIndex = input.bestStream(AVMEDIA_TYPE_VIDEO) else {
            throw DecodeError(id, .unsupported("no video stream"))
        }
        let stream = input.stream(videoIndex)
        let parameters = stream.pointee.codecpar.pointee
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        let fps = rate.den > 0 ? av_q2d(rate) : 0
        let streamDuration =
            stream.pointee.duration != braid_av_nopts_value() && stream.pointee.duration > 0
            ? Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base) : nil
        let duration = streamDuration ?? input.duration
        let recorded = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
        let estimated = duration.map { Int(($0 * fps).rounded()) }
        var audio: VideoInfo.AudioStream?
        if let audioIndex = input.bestStream(AVMEDIA_TYPE_AUDIO) {
            let audioParameters = input.stream(audioIndex).pointee.codecpar.pointee
            audio = .init(
                codec: String(cString: avcodec_get_name(audioParameters.codec_id)),
                sampleRate: Int(audioParameters.sample_rate), channels: Int(audioParameters.ch_layout.nb_channels))
        }
        let display = DisplayMatrix(of: stream)
        let turn = display?.turn ?? .normal
        let (width, height) = (Int(parameters.width), Int(parameters.height))
        return VideoInfo(
            container: input.containerName, codec: String(cString: avcodec_get_name(parameters.codec_id)),
            width: width, height: height, rotation: display?.rotation, mirrored: turn.mirrors,
            displayWidth: turn.swapsSides ? height : width, displayHeight: turn.swapsSides ? width : height,
            fps: fps, duration: duration,
            frameCount: recorded ?? estimated, frameCountIsEstimate: recorded == nil, audio: audio)
    }

    /// Decodes the sampled frames and the audio track into memory.
    ///
    /// - Parameter soundtrack: When given, the audio track is folded into its summary as it decodes
    ///   (`Video.audioSummary`) instead of being kept as samples, so memory does not grow with its length.
    public func decode(
        _ source: Item.Source, id: String, options: Options = .init(), soundtrack: (any AudioReducer)? = nil
    ) throws(DecodeError) -> Video {
        try decode(FFmpegInput(source, id: id), options: options, soundtrack: soundtrack)
    }

    /// ``decode(_:id:options:soundtrack:)`` of an input already opened.
    func decode(_ input: FFmpegInput, options: Options, soundtrack: (any AudioReducer)?) throws(DecodeError) -> Video {
        let id = input.id
        var frames: [VideoFrame] = []
        var bytes = 0
        let track = try streamFrames(input, options: options, soundtrack: soundtrack) {
            frame, audioSamples throws(DecodeError) in
            bytes += frame.image.pixelCount * 3
            guard bytes + audioSamples * 4 <= maxDecodedBytes else {
                throw DecodeError(
                    id,
                    .tooLarge(
                        "decoded frames exceed \(maxDecodedBytes) bytes; sample fewer frames (--fps, --every, --max-frames) or smaller (--size)"
                    ))
            }
            frames.append(frame)
        }
        return Video(
            frames: frames, audio: track.audio, audioSummary: track.summary, frameRate: track.frameRate,
            duration: track.duration)
    }

    /// Decodes the sampled frames one at a time and hands each to `body` without keeping it, so a consumer that
    /// pools or writes frames holds one at a time. `body` also gets the count of audio samples kept so far.
    /// - Returns: The soundtrack (when asked for and present) as samples or, given `soundtrack`, as its summary;
    ///   the frame rate and the duration.
    public func streamFrames(
        _ source: Item.Source, id: String, options: Options = .init(), soundtrack: (any AudioReducer)? = nil,
        _ body: (VideoFrame, _ audioSamples: Int) throws(DecodeError) -> Void
    ) throws(DecodeError) -> (audio: Audio?, summary: AudioSummary?, frameRate: Double, duration: Double) {
        try streamFrames(FFmpegInput(source, id: id), options: options, soundtrack: soundtrack, body)
    }

    private func streamFrames(
        _ input: FFmpegInput, options: Options, soundtrack: (any AudioReducer)?,
        _ body: (VideoFrame, _ audioSamples: Int) throws(DecodeError) -> Void
    ) throws(DecodeError) -> (audio: Audio?, summary: AudioSummary?, frameRate: Double, duration: Double) {
        let reader = try VideoFrameReader(
            input, options: options, soundtrack: soundtrack, maxPixels: maxPixels,
            maxAudioSamples: maxDecodedBytes / MemoryLayout<Float>.stride)
        while let frame = try reader.next() { try body(frame, reader.audioSamples) }
        let track = try reader.finishAudio()
        return (track.audio, track.summary, reader.frameRate, reader.duration)
    }
}

/// Pulls packets through the video (and audio) decoders and hands out the sampled frames one by one.
final class VideoFrameReader {
    private let input: FFmpegInput
    private let options: VideoDecoder.Options
    private let videoIndex: Int32
    private var video: UnsafeMutablePointer<AVCodecContext>?
    private var audio: AudioTrackDecoder?
    private let rule: FrameSampling.Rule
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var decoded: UnsafeMutablePointer<AVFrame>?
    private var scaler: OpaquePointer?
    /// Turns the frames as ffmpeg shows them, when the stream's display matrix rotates or mirrors them.
    private let turner: FrameTurner?
    private var decodedCount = 0
    private var keptCount = 0
    private var nextTick = 0.0
    private var firstTimestamp: Double?
    /// Presentation time of the last frame the decoder produced, kept or not.
    private var lastFrameTime = 0.0
    private var inputEnded = false
    private var videoFlushed = false
    private let timeBase: Double
    private let streamStart: Double
    let frameRate: Double
    let duration: Double

    init(
        _ input: FFmpegInput, options: VideoDecoder.Options, soundtrack: (any AudioReducer)?, maxPixels: Int,
        maxAudioSamples: Int
    ) throws(DecodeError) {
        self.input = input
        self.options = options
        let id = input.id
        guard let videoIndex = input.bestStream(AVMEDIA_TYPE_VIDEO) else {
            throw DecodeError(id, .unsupported("no video stream"))
        }
        self.videoIndex = videoIndex
        let stream = input.stream(videoIndex)
        let parameters = stream.pointee.codecpar.pointee
        guard parameters.width > 0, parameters.height > 0 else {
            throw DecodeError(id, .corrupt("video stream has no frame size"))
        }
        guard Int(parameters.width) * Int(parameters.height) <= maxPixels else {
            throw DecodeError(
                id,
                .tooLarge(
                    "\(parameters.width)×\(parameters.height) frames are over the limit of \(maxPixels) pixels (--max-pixels)"
                ))
        }
        timeBase = av_q2d(stream.pointee.time_base)
        streamStart =
            stream.pointee.start_time == braid_av_nopts_value() ? 0 : Double(stream.pointee.start_time) * timeBase
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        frameRate = rate.den > 0 ? av_q2d(rate) : 0
        duration = input.duration ?? 0
        rule = options.sampling.rule(forDuration: input.duration)
        let turn = DisplayMatrix(of: stream)?.turn ?? .normal
        turner = turn == .normal ? nil : FrameTurner(turn)
        // Allocated only now that every stored property is set: a throw before this point skips `deinit`.
        packet = av_packet_alloc()
        decoded = av_frame_alloc()
        video = try FFmpegInput.openDecoder(for: stream, threads: options.threads, id: id)
        if case .keyframes = rule { video?.pointee.skip_frame = AVDISCARD_NONKEY }
        if options.includeAudio, let audioIndex = input.bestStream(AVMEDIA_TYPE_AUDIO) {
            audio = try AudioTrackDecoder(
                input: input, streamIndex: audioIndex, outputRate: options.audioSampleRate, reducer: soundtrack,
                maxSamples: maxAudioSamples)
        }
    }

    /// Soundtrack samples kept so far.
    var audioSamples: Int { audio?.samples.count ?? 0 }

    deinit {
        avcodec_free_context(&video)
        av_packet_free(&packet)
        av_frame_free(&decoded)
        sws_freeContext(scaler)
    }

    /// The next frame that the sampling keeps, or nil at the end of the stream (or of `maxFrames`).
    func next() throws(DecodeError) -> VideoFrame? {
        if let cap = options.sampling.maxFrames, keptCount >= cap { return nil }
        while true {
            let status = avcodec_receive_frame(video, decoded)
            if status >= 0 {
                defer { av_frame_unref(decoded) }
                if let frame = try sampledFrame() { return frame }
                continue
            }
            if status == braid_averror_eof() { return nil }
            guard status == braid_averror_eagain() else {
                throw DecodeError(input.id, FFmpegError.reason(status, doing: "decode a video frame"))
            }
            try feedVideoDecoder()
        }
    }

    /// Reads packets until one reaches the video decoder, passing audio packets to the audio decoder.
    private func feedVideoDecoder() throws(DecodeError) {
        while !inputEnded {
            guard try input.read(into: packet!) else {
                inputEnded = true
                break
            }
            defer { av_packet_unref(packet) }
            let streamIndex = packet!.pointee.stream_index
            if streamIndex == videoIndex {
                let status = avcodec_send_packet(video, packet)
                guard status >= 0 || status == braid_averror_invaliddata() else {
                    throw DecodeError(input.id, FFmpegError.reason(status, doing: "decode a video packet"))
                }
                return
            }
            if streamIndex == audio?.streamIndex { try audio?.decode(packet) }
        }
        if !videoFlushed {
            videoFlushed = true
            avcodec_send_packet(video, nil)
        }
    }

    private func sampledFrame() throws(DecodeError) -> VideoFrame? {
        let frame = decoded!.pointee
        let pts = frame.best_effort_timestamp != braid_av_nopts_value() ? frame.best_effort_timestamp : frame.pts
        let timestamp =
            pts == braid_av_nopts_value() ? Double(decodedCount) / max(frameRate, 1) : Double(pts) * timeBase
        var index = decodedCount
        decodedCount += 1
        lastFrameTime = timestamp
        if case .keyframes = rule, frameRate > 0 {
            // The skipped frames never leave the decoder, so the position comes from the clock.
            index = Int(((timestamp - streamStart) * frameRate).rounded())
        }
        switch rule {
        case .every(let n):
            guard index % max(n, 1) == 0 else { return nil }
        case .fps(let rate):
            let start = firstTimestamp ?? timestamp
            firstTimestamp = start
            guard timestamp - start + 1e-6 >= nextTick else { return nil }
            nextTick = (floor((timestamp - start) * rate + 1e-6) + 1) / rate
        case .keyframes:
            guard frame.key_frame != 0 else { return nil }
        }
        keptCount += 1
        return VideoFrame(
            index: index, timestamp: timestamp, isKeyFrame: frame.key_frame != 0, image: try shownImage(decoded!))
    }

    /// Bytes swscale may write past the end of its output: a block of up to 64 RGB24 pixels.
    private static let scalerOverrun = 64 * 3
    /// swscale's SIMD converters work in blocks of up to 16 pixels and skip a row's last partial block when the
    /// stride leaves no room for a whole one (libswscale/x86/yuv2rgb.c shortens the row by 8), leaving those
    /// pixels unwritten; rows padded to whole blocks get every pixel, as ffmpeg's aligned frames do.
    private static let scalerBlock = 16

    /// The frame as ffmpeg shows it: turned by the display matrix, then converted to RGB at the requested size
    /// (which is the shown frame's).
    private func shownImage(_ frame: UnsafeMutablePointer<AVFrame>) throws(DecodeError) -> Image {
        guard let turner else { return try convert(frame.pointee, size: options.size) }
        if let turned = turner.turned(frame) { return try convert(turned.pointee, size: options.size) }
        let storedSize = turner.turn.swapsSides ? options.size.map { ($0.height, $0.width) } : options.size
        return turner.turn.apply(to: try convert(frame.pointee, size: storedSize))
    }

    private func convert(_ frame: AVFrame, size: (width: Int, height: Int)?) throws(DecodeError) -> Image {
        let width = size?.width ?? Int(frame.width)
        let height = size?.height ?? Int(frame.height)
        scaler = sws_getCachedContext(
            scaler, frame.width, frame.height, AVPixelFormat(frame.format), Int32(width), Int32(height),
            AV_PIX_FMT_RGB24, SWS_BILINEAR, nil, nil, nil)
        guard scaler != nil else {
            throw DecodeError(input.id, .unsupported("libswscale cannot convert this pixel format to RGB"))
        }
        var frame = frame
        var rows: Int32 = 0
        // swscale writes every byte of rows padded to whole blocks, so the array is never zero-filled first; the
        // rows are packed together afterwards. Its SIMD row converters write whole blocks of pixels, past the end of
        // the last row too (15 bytes past a 91-pixel RGB24 row, found by fuzzing), so the array gets spare capacity
        // outside its count.
        let count = width * height * 3
        let paddedRow = (width + Self.scalerBlock - 1) / Self.scalerBlock * Self.scalerBlock * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: paddedRow * height + Self.scalerOverrun) {
            output, initialized in
            var destination: UnsafeMutablePointer<UInt8>? = output.baseAddress
            var destinationStride = Int32(paddedRow)
            rows = withUnsafePointer(to: &frame.data) { planes in
                withUnsafePointer(to: &frame.linesize) { strides in
                    sws_scale(
                        scaler,
                        UnsafeRawPointer(planes).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                        UnsafeRawPointer(strides).assumingMemoryBound(to: Int32.self),
                        0, frame.height, &destination, &destinationStride)
                }
            }
            guard rows == Int32(height), let base = output.baseAddress else { return }
            for row in 1..<max(height, 1) { memmove(base + row * width * 3, base + row * paddedRow, width * 3) }
            initialized = count
        }
        guard rows == Int32(height) else {
            throw DecodeError(input.id, .corrupt("libswscale converted \(rows) of \(height) rows"))
        }
        return Image(width: width, height: height, channels: 3, bytes: pixels)
    }

    /// Reads what is left of the input for its audio, drains the audio decoder and returns the track.
    ///
    /// When `maxFrames` ended the video early, the soundtrack ends with the last decoded frame too: a stream that
    /// never ends (a live pipe) is not read further.
    func finishAudio() throws(DecodeError) -> (audio: Audio?, summary: AudioSummary?) {
        guard let audio else { return (nil, nil) }
        let audioIndex = audio.streamIndex
        let capped = options.sampling.maxFrames.map { keptCount >= $0 } ?? false
        let audioTimeBase = av_q2d(input.stream(audioIndex).pointee.time_base)
        let end = lastFrameTime + 1 / max(frameRate, 1)
        while !inputEnded {
            guard try input.read(into: packet!) else {
                inputEnded = true
                break
            }
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == audioIndex else { continue }
            let pts = packet!.pointee.pts
            if capped && pts != braid_av_nopts_value() && Double(pts) * audioTimeBase > end { break }
            try audio.decode(packet)
        }
        return try audio.finish()
    }
}
