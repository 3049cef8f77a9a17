import Braid
import FuzzSupport

/// WebP through libwebp (`CWebP`): the header and animation info, then the pixels (an animation's first frame on
/// its canvas). 1<<18 pixels (a quarter megapixel): at 4 megapixels the fuzzer grew its corpus into animations
/// whose composing ran at 320 executions/s against 5,700 for small images; larger canvases run the same code
/// over more pixels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = WebPDecoder(maxPixels: 1 << 18)
    _ = try? decoder.info(bytes, source: "fuzz.webp")
    _ = try? decoder.decode(bytes, source: "fuzz.webp")
    return 0
}

@main
enum FuzzWebP {
    static func main() { runLibFuzzer(fuzzWebP) }
}
