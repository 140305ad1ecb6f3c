// swift-tools-version:6.0
import PackageDescription

// An app that embeds Perch with its own user table: Perch by path, as an app would by URL.
let package = Package(
    name: "CustomAuth",
    dependencies: [
        .package(name: "Perch", path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(name: "CustomAuth", dependencies: [
            .product(name: "PerchServer", package: "Perch"),
            .product(name: "PerchBroker", package: "Perch"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
