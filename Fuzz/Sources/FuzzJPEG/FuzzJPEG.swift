import Braid
import FuzzSupport

/// JPEG through libjpeg-turbo (`CJPEGReader`): the header with its EXIF orientation, then the pixels turned by
/// it, whole and reduced in the DCT domain. 1<<22 pixels (4 Mpx) keeps a valid but huge image from looking like a
/// hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = JPEGDecoder(maxPixels: 1 << 22)
    _ = try? decoder.info(bytes, source: "fuzz.jpg")
    _ = try? decoder.decode(bytes, source: "fuzz.jpg")
    _ = try? JPEGDecoder(maxPixels: 1 << 22, minimumSide: 2).decode(bytes, source: "fuzz.jpg")
    return 0
}

@main
enum FuzzJPEG {
    static func main() { runLibFuzzer(fuzzJPEG) }
}
