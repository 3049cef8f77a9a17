// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for Braid's decoders and parsers, one executable per target. Kept apart from the main
// package so its sanitizer and fuzzer flags never reach a normal build; `scripts/fuzz` builds (optimised by default) and runs them:
//
//     swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
//         -Xcc -fsanitize=fuzzer-no-link,address
//
// Each target is an executable whose `main` hands over to libFuzzer's driver (`runLibFuzzer`), since SwiftPM
// links an executable's own entry point as `main` in place of libFuzzer's. Each target keeps the library's
// size limits small, so a valid but huge input is refused quickly instead of looking like a hang or an OOM.
let braid = Target.Dependency.product(name: "Braid", package: "Braid")

let package = Package(
    name: "BraidFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Braid", path: "..")
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .executableTarget(name: "FuzzSniff", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzPNG", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzJPEG", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzWebP", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzWAV", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzVideo", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzText", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzTar", dependencies: ["FuzzSupport", braid]),
        .executableTarget(name: "FuzzPipelineSpec", dependencies: ["FuzzSupport", braid]),
        .executableTarget(
            name: "FuzzSafeTensors",
            dependencies: ["FuzzSupport", .product(name: "BraidTensor", package: "Braid")]),
    ]
)
