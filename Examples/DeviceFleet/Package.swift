// swift-tools-version:6.0
import PackageDescription

// A fleet of simulated devices speaking MQTT through Perch's codec (no broker inside).
let package = Package(
    name: "DeviceFleet",
    dependencies: [
        .package(name: "Perch", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "DeviceFleet", dependencies: [
            .product(name: "PerchCodec", package: "Perch"),
        ]),
    ]
)
