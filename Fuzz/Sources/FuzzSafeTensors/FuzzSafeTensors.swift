import BraidTensor
import Foundation
import FuzzSupport

/// The safetensors reader: header length, JSON header, then every tensor read (F32 views and copies,
/// F16/BF16 widening, refused dtypes). Tensors must lie inside the input, so reads stay small.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let scratch = ScratchFile(name: "safetensors")
    scratch.replaceContents(with: UnsafeRawBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(contentsOf: URL(fileURLWithPath: scratch.path)) else { return 0 }
    for key in file.keys { _ = try? file.tensor(key) }
    return 0
}

@main
enum FuzzSafeTensors {
    static func main() { runLibFuzzer(fuzzSafeTensors) }
}
