import Braid
import FuzzSupport

/// Video through FFmpeg's in-memory AVIO path: probe, then decode with audio, kept as samples or, for inputs of
/// odd size, summarised by the log-mel encoder as `braid embed` does. Limits: 1<<22 pixels a frame, 64 MiB of
/// decoded output, 8 frames, one decoder thread (the fuzzer runs one input at a time).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVideo(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = VideoDecoder(maxPixels: 1 << 22, maxDecodedBytes: 64 << 20)
    _ = try? decoder.info(.bytes(bytes), id: "fuzz.mp4")
    let options = VideoDecoder.Options(sampling: FrameSampling(maxFrames: 8), threads: 1)
    _ = try? decoder.decode(
        .bytes(bytes), id: "fuzz.mp4", options: options, soundtrack: size % 2 == 1 ? LogMelEncoder() : nil)
    return 0
}

@main
enum FuzzVideo {
    static func main() { runLibFuzzer(fuzzVideo) }
}
