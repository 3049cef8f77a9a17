import CFFmpeg

/// What `braid probe` reports for a compressed audio file.
public struct AudioFileInfo: Sendable, Equatable, Codable {
    /// FFmpeg's demuxer: `mp3`, `flac`, `ogg`, `mov,mp4,m4a,3gp,3g2,mj2`, …
    public var container: String
    /// FFmpeg's codec: `mp3`, `aac`, `flac`, `vorbis`, `opus`, …
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
    public var duration: Double?
}

/// Decodes the audio of any file FFmpeg reads that has sound and no picture (MP3, AAC/M4A, FLAC, Ogg Vorbis,
/// Opus, …) to float samples, as ``WAVDecoder`` decodes WAV: the samples FFmpeg's decoder gives, converted to
/// interleaved floats by libswresample exactly as `ffmpeg -f f32le` converts them.
struct AudioFileDecoder {
    /// The most samples kept in memory; longer sound must be summarised while it decodes.
    let maxSamples: Int

    /// Decodes the best audio stream of `input`: its samples, or, given `reducer`, its summary.
    /// - Parameter sampleRate: Resample to this rate; nil keeps the file's.
    func decode(_ input: FFmpegInput, sampleRate: Int?, mono: Bool, reducer: (any AudioReducer)?) throws(DecodeError)
        -> Media
    {
        guard let streamIndex = input.bestStream(AVMEDIA_TYPE_AUDIO) else {
            throw DecodeError(input.id, .unsupported("no audio stream"))
        }
        let track = try AudioTrackDecoder(
            input: input, streamIndex: streamIndex, outputRate: sampleRate, reducer: reducer, maxSamples: maxSamples)
        let packet = av_packet_alloc()
        defer {
            var freed = packet
            av_packet_free(&freed)
        }
        while try input.read(into: packet!) {
            defer { av_packet_unref(packet) }
            if packet!.pointee.stream_index == streamIndex { try track.decode(packet) }
        }
        let (audio, summary) = try track.finish()
        if let summary { return .reducedAudio(summary) }
        guard let audio else { throw DecodeError(input.id, .corrupt("the audio stream decodes to no samples")) }
        return .audio(mono ? audio.mono() : audio)
    }

    func info(_ input: FFmpegInput) throws(DecodeError) -> AudioFileInfo {
        guard let streamIndex = input.bestStream(AVMEDIA_TYPE_AUDIO) else {
            throw DecodeError(input.id, .unsupported("no audio stream"))
        }
        let parameters = input.stream(streamIndex).pointee.codecpar.pointee
        return AudioFileInfo(
            container: input.containerName, codec: String(cString: avcodec_get_name(parameters.codec_id)),
            sampleRate: Int(parameters.sample_rate), channels: Int(parameters.ch_layout.nb_channels),
            duration: input.duration)
    }
}
