// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "datadist",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "datadist", targets: ["datadist"]),
        .executable(name: "datadist-bench", targets: ["datadist-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CLinux"),
        .target(name: "CChecksum"),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(name: "CTLS", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "TLSTransport", dependencies: ["CTLS"], swiftSettings: strict),
        .target(name: "DataDistModel", swiftSettings: strict),
        .target(name: "HTTPCore", swiftSettings: strict),
        .target(name: "KVFraming", dependencies: ["CChecksum"], swiftSettings: strict),
        .target(
            name: "HTTPServer",
            dependencies: ["HTTPCore", "CLinux", "TLSTransport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "PeerClient",
            dependencies: ["CCurl"],
            swiftSettings: strict
        ),
        .target(
            name: "DataDistNode",
            dependencies: [
                "DataDistModel", "HTTPCore", "HTTPServer", "PeerClient", "KVFraming", "CLinux", "TLSTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "datadist",
            dependencies: [
                "DataDistNode", "DataDistModel", "HTTPServer", "PeerClient", "TLSTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "datadist-bench",
            dependencies: [
                "DataDistModel", "PeerClient", "HTTPServer", "CTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Helpers every test target shares: a seeded generator, a raw HTTP client, loopback sockets.
        .target(name: "TestSupport", dependencies: ["CLinux"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "DataDistModelTests", dependencies: ["DataDistModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPCoreTests", dependencies: ["HTTPCore", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: ["HTTPServer", "HTTPCore", "CLinux", "TLSTransport", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PeerClientTests",
            dependencies: ["PeerClient", "TLSTransport", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "TLSTransportTests", dependencies: ["TLSTransport", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KVFramingTests",
            dependencies: ["KVFraming", "CChecksum", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DataDistNodeTests",
            dependencies: ["DataDistNode", "DataDistModel", "HTTPCore", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "DataDistNode", "DataDistModel", "HTTPCore", "HTTPServer", "PeerClient", "TLSTransport", "TestSupport",
            ],
            swiftSettings: strict
        ),
    ]
)
