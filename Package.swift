// swift-tools-version:6.0
import PackageDescription

// Module picture (see ../shared/DESIGN.md): nothing points upward.
//   PerchCodec  <- PerchBroker <- PerchStore <- PerchServer <- perch
//   COpenSSL    <- PerchStreams (TLS, WebSocket byte layers) <- PerchServer
//   PerchBroker, COpenSSL (libcrypto), CArgon2 <- PerchAccess (password / ACL files) <- PerchServer
// Codec, broker and server use the standard library, Dispatch and Glibc only (no Foundation).
// OpenSSL 3 (libssl-dev) and argon2 (libargon2-dev) come from Debian, linked dynamically.
let package = Package(
    name: "Perch",
    products: [
        .executable(name: "perch", targets: ["perch"]),
        .executable(name: "perch-bench", targets: ["perch-bench"]),
        .library(name: "PerchServer", targets: ["PerchServer"]),
        .library(name: "PerchBroker", targets: ["PerchBroker"]),
        .library(name: "PerchCodec", targets: ["PerchCodec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "PerchCodec"),
        .target(name: "PerchBroker", dependencies: ["PerchCodec"]),
        .target(name: "PerchStore", dependencies: ["PerchBroker", "PerchCodec"], exclude: ["FORMAT.md"]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "PerchStreams", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .target(name: "PerchAccess", dependencies: ["PerchBroker", "COpenSSL", "CArgon2"]),
        .target(
            name: "PerchServer",
            dependencies: [
                "PerchCodec", "PerchBroker", "PerchStore", "PerchStreams", "PerchAccess",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "perch",
            dependencies: ["PerchServer", "PerchAccess", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(name: "perch-bench", dependencies: ["PerchCodec", "PerchStreams"]),
        // libFuzzer harnesses: built with the fuzzer by scripts/fuzz; a plain build replays inputs.
        .executableTarget(name: "perch-fuzz", dependencies: ["PerchCodec", "PerchBroker", "PerchTestKit"]),
        .target(name: "PerchTestKit", dependencies: ["PerchCodec", "PerchBroker", "PerchStreams"]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        .testTarget(name: "PerchCodecTests", dependencies: ["PerchCodec", "PerchTestKit"]),
        .testTarget(name: "PerchBrokerTests", dependencies: ["PerchBroker", "PerchCodec", "PerchTestKit"]),
        .testTarget(name: "PerchStreamsTests", dependencies: ["PerchStreams", "COpenSSL", "PerchTestKit"]),
        .testTarget(name: "PerchAccessTests", dependencies: ["PerchAccess", "PerchBroker", "PerchTestKit"]),
        .testTarget(name: "PerchStoreTests", dependencies: ["PerchStore", "PerchBroker", "PerchCodec", "PerchTestKit"]),
        .testTarget(name: "PerchCrashTests", dependencies: ["PerchCodec", "PerchTestKit"]),
        .testTarget(
            name: "PerchServerTests",
            dependencies: [
                "PerchServer", "PerchCodec", "PerchTestKit", "PerchStreams", "PerchAccess",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PerchInteropTests",
            dependencies: ["PerchServer", "PerchStreams", "PerchTestKit", "CMosquitto", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
