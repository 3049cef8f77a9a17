import CFFmpeg

/// Converts audio to interleaved float32 at a target rate with libswresample
/// (its default windowed-sinc filter, 32 taps), keeping the channel count.
final class AudioResampler {
    private var context: OpaquePointer?
    private let channels: Int
    private let inputRate: Int
    private let outputRate: Int

    /// Rates it converts between: up to 768 kHz, the highest any recorder writes. libswresample's filter grows
    /// with the input/output ratio, so a header claiming 1 GHz would stall `swr_init` for seconds.
    static let supportedRates = 1...768_000

    /// `source` names the file in errors.
    init(channels: Int, inputFormat: AVSampleFormat, inputRate: Int, outputRate: Int, source: String)
        throws(DecodeError)
    {
        guard inputRate == outputRate || (Self.supportedRates ~= inputRate && Self.supportedRates ~= outputRate) else {
            throw DecodeError(
                source,
                .unsupported(
                    "cannot resample \(inputRate) Hz to \(outputRate) Hz; rates above \(Self.supportedRates.upperBound) Hz are refused"
                ))
        }
        self.channels = channels
        self.inputRate = inputRate
        self.outputRate = outputRate
        var outputLayout = AVChannelLayout()
        var inputLayout = AVChannelLayout()
        av_channel_layout_default(&outputLayout, Int32(channels))
        av_channel_layout_default(&inputLayout, Int32(channels))
        defer {
            av_channel_layout_uninit(&outputLayout)
            av_channel_layout_uninit(&inputLayout)
        }
        let status = swr_alloc_set_opts2(
            &context, &outputLayout, AV_SAMPLE_FMT_FLT, Int32(outputRate),
            &inputLayout, inputFormat, Int32(inputRate), 0, nil)
        guard status >= 0, swr_init(context) >= 0 else {
            swr_free(&context)
            throw DecodeError(source, .unsupported("libswresample cannot convert \(inputRate) Hz to \(outputRate) Hz"))
        }
    }

    deinit { swr_free(&context) }

    /// Converts `frameCount` frames laid out as `planes` (one pointer when interleaved) and returns what is ready.
    func convert(planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, frameCount: Int) -> [Float] {
        let capacity = Int(swr_get_out_samples(context, Int32(frameCount)))
        guard capacity > 0 else { return [] }
        var output = [Float](repeating: 0, count: capacity * channels)
        let written = output.withUnsafeMutableBytes { buffer -> Int32 in
            var plane: UnsafeMutablePointer<UInt8>? = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return swr_convert(context, &plane, Int32(capacity), planes, Int32(frameCount))
        }
        output.removeLast(output.count - max(0, Int(written)) * channels)
        return output
    }

    /// Converts interleaved float samples and returns what is ready.
    func convert(_ samples: [Float]) -> [Float] {
        samples.withUnsafeBytes { raw in
            var plane: UnsafePointer<UInt8>? = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return convert(planes: &plane, frameCount: samples.count / channels)
        }
    }

    /// Drains the samples the filter still holds.
    func flush() -> [Float] { convert(planes: nil, frameCount: 0) }

    /// Resamples a whole clip.
    static func resample(_ audio: Audio, to rate: Int, source: String) throws(DecodeError) -> Audio {
        if rate == audio.sampleRate { return audio }
        let resampler = try AudioResampler(
            channels: audio.channels, inputFormat: AV_SAMPLE_FMT_FLT, inputRate: audio.sampleRate, outputRate: rate,
            source: source)
        let samples = resampler.convert(audio.samples) + resampler.flush()
        return Audio(sampleRate: rate, channels: audio.channels, samples: samples)
    }
}
