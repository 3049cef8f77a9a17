import FuzzSupport

@testable import Braid

/// The tar stream reader (`--tar`), member by member until the end or the first stream error. The reader
/// is internal, so this target imports Braid `@testable` (the fuzz build passes `-enable-testing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let scratch = ScratchFile(name: "tar")
    scratch.replaceContents(with: UnsafeRawBufferPointer(start: data, count: size))
    guard let reader = try? ByteReader(path: scratch.path) else { return 0 }
    var tar = TarReader(reader: reader)
    while case .some = try? tar.next() {}
    return 0
}

@main
enum FuzzTar {
    static func main() { runLibFuzzer(fuzzTar) }
}
