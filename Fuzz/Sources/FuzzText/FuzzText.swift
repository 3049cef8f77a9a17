import Braid
import FuzzSupport

/// Text decoding (UTF-8 and UTF-16 with BOM), both strict and with invalid bytes replaced.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? TextDecoder(replaceInvalid: false).decode(bytes, source: "fuzz.txt")
    _ = try? TextDecoder(replaceInvalid: true).decode(bytes, source: "fuzz.txt")
    return 0
}

@main
enum FuzzText {
    static func main() { runLibFuzzer(fuzzText) }
}
