import Braid
import FuzzSupport

/// The YAML pipeline loader: Yams composes the node tree, `PipelineSpec` checks every key and value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPipelineSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? PipelineSpec.parse(yaml: text, file: "fuzz.yaml")
    return 0
}

@main
enum FuzzPipelineSpec {
    static func main() { runLibFuzzer(fuzzPipelineSpec) }
}
