// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Braid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "braid", targets: ["BraidCLI"]),
        .library(name: "Braid", targets: ["Braid"]),
        .library(name: "BraidTensor", targets: ["BraidTensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries: each a module map over the Debian -dev package's headers.
        .systemLibrary(
            name: "CLibPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "CLibJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(
            name: "CWebP", pkgConfig: "libwebpdemux",
            providers: [.apt(["libwebp-dev"]), .brew(["webp"])]),
        .systemLibrary(
            name: "CSndFile", pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [
                .apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"]),
                .brew(["ffmpeg"]),
            ]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        // libcrypto's MD5: the content hash llm stores with each embedding.
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // oneDNN's sgemm: 3-17% faster than OpenBLAS at the transformer's shapes (README, "Numeric core").
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]),

        // libpng's longjmp error handling, kept inside C.
        .target(name: "CPNGReader", dependencies: ["CLibPNG"]),
        // libjpeg's, likewise.
        .target(name: "CJPEGReader", dependencies: ["CLibJPEG"]),
        // The models in models/, compiled into the binary so `braid` finds them wherever it runs.
        .target(name: "CShippedModels", cSettings: [.headerSearchPath("../../models")]),
        // exp, erf, GELU and softmax loops, built for AVX-512, AVX2 and baseline x86-64 and chosen at load time.
        .target(name: "CTensorKernels"),

        // Numeric core: tensors, autodiff, layers, optimizers, safetensors. Knows nothing of media.
        .target(
            name: "BraidTensor",
            dependencies: [
                "CTensorKernels",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                .target(name: "CDNNL", condition: .when(platforms: [.linux])),
            ]),

        // The pipeline library: Input -> Decode -> Encode -> Fuse -> Generate -> Output.
        .target(
            name: "Braid",
            dependencies: [
                "BraidTensor", "CLibPNG", "CPNGReader", "CJPEGReader", "CWebP", "CSndFile", "CFFmpeg", "CZlib", "CSQLite", "COpenSSL",
                "CShippedModels",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // The `braid` command: routing and one file per subcommand.
        .executableTarget(
            name: "BraidCLI",
            dependencies: [
                "Braid",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]),

        .testTarget(name: "BraidTensorTests", dependencies: ["BraidTensor", "CTensorKernels"]),
        .testTarget(name: "BraidTests", dependencies: ["Braid"]),
        .testTarget(name: "BraidCLITests", dependencies: ["Braid"]),
    ]
)

for target in package.targets where target.type != .system && !["CPNGReader", "CJPEGReader", "CTensorKernels", "CShippedModels"].contains(target.name) {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny")
        ]
}
