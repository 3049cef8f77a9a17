import Braid
import FuzzSupport

/// PNG through libpng (`CPNGReader`): the header, then the pixels as bytes, or as floats for odd-sized
/// inputs. 1<<22 pixels (4 Mpx) keeps a valid but huge image from looking like a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = PNGDecoder(maxPixels: 1 << 22)
    _ = try? decoder.info(bytes, source: "fuzz.png")
    _ = try? decoder.decode(bytes, as: size % 2 == 0 ? .uint8 : .float32, source: "fuzz.png")
    return 0
}

@main
enum FuzzPNG {
    static func main() { runLibFuzzer(fuzzPNG) }
}
