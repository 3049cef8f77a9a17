import Braid
import FuzzSupport

/// Format sniffing of in-memory items: magic numbers, then FFmpeg's probe for what no magic number claims.
/// The last byte picks the item's name, so the name-versus-content refusals are reached too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSniff(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let names = ["fuzz", "fuzz.png", "fuzz.wav", "fuzz.mp4", "fuzz.txt"]
    let name = names[Int(bytes.last ?? 0) % names.count]
    _ = try? MediaDecoder().sniff(Item(id: name, source: .bytes(bytes)))
    return 0
}

@main
enum FuzzSniff {
    static func main() { runLibFuzzer(fuzzSniff) }
}
