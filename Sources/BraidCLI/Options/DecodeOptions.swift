import ArgumentParser
import Braid

/// Decoder limits and conversions shared by every command that decodes media.
struct DecodeOptions: ParsableArguments {
    @Option(help: "Refuse images and video frames with more pixels than this, before allocating them.")
    var maxPixels = PNGDecoder.defaultMaxPixels

    @Option(help: "Refuse audio with more samples (frames × channels) than this.")
    var maxSamples = WAVDecoder.defaultMaxSamples

    @Option(help: "Resample audio (WAV files and video soundtracks) to this rate in Hz.")
    var sampleRate: Int?

    @Flag(help: "Down-mix audio to one channel (the mean of the channels).")
    var mono = false

    @Flag(help: "Replace invalid bytes in text with U+FFFD instead of failing.")
    var replaceInvalidText = false

    @Option(help: "Video: keep frames at this many per second.")
    var fps: Double?

    @Option(help: "Video: keep every N-th frame.")
    var every: Int?

    @Flag(help: "Video: keep key frames only (the others are not decoded).")
    var keyframes = false

    @Option(help: "Video: stop after this many kept frames.")
    var maxFrames: Int?

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Video, with --fps and --max-frames: when the video is too long for both, slow the clock so the frames span all of it.",
            discussion:
                "On by default for 'embed', whose vector should describe the whole video; --no-spread keeps the first frames."
        ))
    var spread: Bool?

    @Option(help: "Video: scale frames to WIDTHxHEIGHT, e.g. 224x224.")
    var size: FrameSize?

    func validate() throws {
        let rules = [fps != nil, every != nil, keyframes].filter { $0 }.count
        guard rules <= 1 else { throw ValidationError("Use only one of '--fps', '--every' and '--keyframes'.") }
        if let fps, !(fps > 0) { throw ValidationError("'--fps' must be a positive number, got \(fps).") }
        if let every, every < 1 { throw ValidationError("'--every' must be 1 or more, got \(every).") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("'--max-frames' must be 1 or more, got \(maxFrames).") }
        if let sampleRate, sampleRate < 1 {
            throw ValidationError("'--sample-rate' must be positive, got \(sampleRate).")
        }
        if maxPixels < 1 { throw ValidationError("'--max-pixels' must be positive, got \(maxPixels).") }
    }

    /// The options the flags give; video sampling and size keep `defaults` where no flag sets them.
    func decoderOptions(defaults: MediaDecoder.Options = MediaDecoder.Options()) -> MediaDecoder.Options {
        var options = defaults
        options.maxPixels = maxPixels
        options.maxSamples = maxSamples
        options.sampleRate = sampleRate
        options.mono = mono
        options.replaceInvalidText = replaceInvalidText
        if let fps { options.video.sampling.rule = .fps(fps) }
        if let every { options.video.sampling.rule = .every(every) }
        if keyframes { options.video.sampling.rule = .keyframes }
        if let maxFrames { options.video.sampling.maxFrames = maxFrames }
        if let spread { options.video.sampling.spreadOverDuration = spread }
        if let size { options.video.size = (size.width, size.height) }
        return options
    }
}

/// `WIDTHxHEIGHT` on the command line.
struct FrameSize: ExpressibleByArgument {
    let width: Int
    let height: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
            return nil
        }
        self.width = width
        self.height = height
    }
}
