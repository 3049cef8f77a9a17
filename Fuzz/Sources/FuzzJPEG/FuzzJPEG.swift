import FuzzSupport

@testable import Braid

/// JPEG through libjpeg-turbo (`CJPEGReader`): the header with its EXIF orientation, then the pixels turned by
/// it, whole and reduced in the DCT domain. 1<<22 pixels (4 Mpx) keeps a valid but huge image from looking like a
/// hang. At 1/8, Braid's own entropy decoder, split between two threads from the first byte on, must end every
/// input exactly as libjpeg alone ends it, with the same pixels or the same error: a difference is a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = JPEGDecoder(maxPixels: 1 << 22)
    guard let info = try? decoder.info(bytes, source: "fuzz.jpg") else { return 0 }
    _ = try? decoder.decode(bytes, source: "fuzz.jpg")
    _ = try? JPEGDecoder(maxPixels: 1 << 22, minimumSide: 2).decode(bytes, source: "fuzz.jpg")
    guard info.width * info.height <= 1 << 22 else { return 0 }
    let (braid, libjpeg) = decoder.eighthByBothDecoders(bytes, source: "fuzz.jpg")
    if braid != libjpeg { fatalError("at 1/8 Braid's decoder gave \(braid), libjpeg \(libjpeg)") }
    return 0
}

@main
enum FuzzJPEG {
    static func main() { runLibFuzzer(fuzzJPEG) }
}
