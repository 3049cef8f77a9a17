import CFFmpeg

/// Decodes one audio stream of an opened FFmpeg input, packet by packet, into float samples at the wanted rate:
/// kept (up to a limit) or handed to an ``AudioReducer`` as they come, so a track of any length costs bounded
/// memory. A video's soundtrack and an audio file (MP3, AAC, FLAC, Ogg, Opus, …) both go through it.
final class AudioTrackDecoder {
    let streamIndex: Int32
    private let id: String
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var resampler: AudioResampler?
    private let outputRate: Int?
    private let maxSamples: Int
    private let reducer: (any AudioReducer)?
    private var reduction: (any AudioReduction)?
    private var reducedFrames = 0
    private var channels = 0
    private var rate = 0
    private(set) var samples: [Float] = []

    /// - Parameters:
    ///   - outputRate: Resample to this rate; nil keeps the stream's.
    ///   - reducer: Summarises the samples as they decode instead of keeping them.
    ///   - maxSamples: The most samples kept when there is no reducer; more is an error.
    init(
        input: FFmpegInput, streamIndex: Int32, outputRate: Int?, reducer: (any AudioReducer)?, maxSamples: Int
    ) throws(DecodeError) {
        self.streamIndex = streamIndex
        id = input.id
        self.outputRate = outputRate
        self.reducer = reducer
        self.maxSamples = maxSamples
        frame = av_frame_alloc()
        context = try FFmpegInput.openDecoder(for: input.stream(streamIndex), threads: 1, id: input.id)
    }

    deinit {
        avcodec_free_context(&context)
        av_frame_free(&frame)
    }

    /// Decodes one packet of the stream; nil drains the decoder at the end.
    func decode(_ packet: UnsafeMutablePointer<AVPacket>?) throws(DecodeError) {
        let sent = avcodec_send_packet(context, packet)
        // A damaged packet costs its samples, not the whole track.
        guard sent >= 0 || sent == braid_averror_invaliddata() else { return }
        while avcodec_receive_frame(context, frame) >= 0 {
            defer { av_frame_unref(frame) }
            let decoded = frame!.pointee
            if resampler == nil {
                channels = Int(decoded.ch_layout.nb_channels)
                rate = outputRate ?? Int(decoded.sample_rate)
                resampler = try AudioResampler(
                    channels: channels, inputFormat: AVSampleFormat(decoded.format),
                    inputRate: Int(decoded.sample_rate), outputRate: rate, source: id)
            }
            let planes = UnsafeMutableRawPointer(decoded.extended_data).assumingMemoryBound(
                to: UnsafePointer<UInt8>?.self)
            try keep(resampler!.convert(planes: planes, frameCount: Int(decoded.nb_samples)))
        }
    }

    /// Drains the decoder and the resampler; the track as samples or as its summary, nil when it held no sample.
    func finish() throws(DecodeError) -> (audio: Audio?, summary: AudioSummary?) {
        try decode(nil)
        guard let resampler, channels > 0 else { return (nil, nil) }
        try keep(resampler.flush())
        if let reduction, let reducer {
            let summary = AudioSummary(
                reducer: reducer.name, sampleRate: rate, channels: channels, frameCount: reducedFrames,
                values: reduction.finish())
            return (nil, summary)
        }
        return (Audio(sampleRate: rate, channels: channels, samples: samples), nil)
    }

    /// Hands converted samples to the reduction, or keeps them while they fit the decoded-bytes limit.
    private func keep(_ converted: [Float]) throws(DecodeError) {
        if let reducer {
            if reduction == nil {
                do {
                    reduction = try reducer.makeReduction(sampleRate: rate, channels: channels)
                } catch {
                    throw DecodeError(id, .unsupported("cannot summarise the sound: \(error)"))
                }
            }
            converted.withUnsafeBufferPointer { reduction!.consume($0) }
            reducedFrames += converted.count / channels
            return
        }
        guard samples.count + converted.count <= maxSamples else {
            throw DecodeError(
                id, .tooLarge("the sound exceeds \(maxSamples * MemoryLayout<Float>.stride) bytes of decoded samples"))
        }
        samples += converted
    }
}
