import Braid
import FuzzSupport

/// WebP through libwebp (`CWebP`): the header and animation info, then the pixels (an animation's first frame on
/// its canvas). 1<<22 pixels (4 Mpx) keeps a valid but huge image from looking like a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = WebPDecoder(maxPixels: 1 << 22)
    _ = try? decoder.info(bytes, source: "fuzz.webp")
    _ = try? decoder.decode(bytes, source: "fuzz.webp")
    return 0
}

@main
enum FuzzWebP {
    static func main() { runLibFuzzer(fuzzWebP) }
}
