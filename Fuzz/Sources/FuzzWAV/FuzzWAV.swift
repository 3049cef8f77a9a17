import Braid
import FuzzSupport

/// WAV through libsndfile's virtual I/O over memory: header checks, then all samples. Inputs whose size
/// is a multiple of 4 are also down-mixed and resampled to 16 kHz; odd sizes are also streamed through the
/// log-mel encoder's running statistics, as `braid embed` does. 1<<22 samples caps the decoded clip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = WAVDecoder(maxSamples: 1 << 22)
    _ = try? decoder.info(.bytes(bytes), id: "fuzz.wav")
    let convert = size % 4 == 0
    _ = try? decoder.decode(.bytes(bytes), id: "fuzz.wav", sampleRate: convert ? 16_000 : nil, mono: convert)
    if size % 2 == 1 { _ = try? decoder.reduce(.bytes(bytes), id: "fuzz.wav", by: LogMelEncoder()) }
    return 0
}

@main
enum FuzzWAV {
    static func main() { runLibFuzzer(fuzzWAV) }
}
