// swift-tools-version:6.1
import PackageDescription

// The benchmark tools of scripts/bench.sh, in a package of their own so that the main package's
// products stay what a user imports. They use only those products (the data plane, its in-process
// and remote implementations, the file system backend and the vocabulary types), as any user could.
// Built in release mode by the bench scripts: `swift build -c release --package-path Benchmarks`.

let package = Package(
    name: "artifactstore-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "artifactstore-bench", targets: ["ArtifactStoreBench"]),
        .executable(name: "artifactstore-remote-bench", targets: ["ArtifactStoreRemoteBench"]),
        .executable(name: "hummingbird-floor", targets: ["HummingbirdFloor"]),
    ],
    dependencies: [
        // The name keeps `package: "artifactstore"` below independent of the clone's folder name.
        .package(name: "artifactstore", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        // What the benchmark tools share: the generated input stream, draining off the main actor,
        // options, failure, peak RSS and timing output.
        .target(
            name: "ArtifactBenchSupport",
            dependencies: [
                .product(name: "ArtifactStoreCore", package: "artifactstore"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Measurements that need our code in release mode (scripts/bench.sh ingest and ranges).
        .executableTarget(
            name: "ArtifactStoreBench",
            dependencies: [
                "ArtifactBenchSupport",
                .product(name: "ArtifactDataPlane", package: "artifactstore"),
                .product(name: "ArtifactDataPlaneLocal", package: "artifactstore"),
                .product(name: "ArtifactIdentity", package: "artifactstore"),
                .product(name: "ArtifactStorage", package: "artifactstore"),
                .product(name: "ArtifactStorageFileSystem", package: "artifactstore"),
                .product(name: "ArtifactStoreCore", package: "artifactstore"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // The remote data plane benchmark's client (scripts/bench-remote.sh): ingest and serve
        // through a running daemon, or in process, and print the timings.
        .executableTarget(
            name: "ArtifactStoreRemoteBench",
            dependencies: [
                "ArtifactBenchSupport",
                .product(name: "ArtifactDataPlane", package: "artifactstore"),
                .product(name: "ArtifactDataPlaneLocal", package: "artifactstore"),
                .product(name: "ArtifactDataPlaneRemote", package: "artifactstore"),
                .product(name: "ArtifactIdentity", package: "artifactstore"),
                .product(name: "ArtifactStorageFileSystem", package: "artifactstore"),
                .product(name: "ArtifactStoreCore", package: "artifactstore"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // The framework's floor (scripts/bench-http.sh, scripts/bench-instructions.sh): a bare
        // Hummingbird server on its defaults answering every GET and HEAD with the same 4 KiB
        // from memory. Measured beside our server and nginx, it shows how much of a small GET's
        // cost is ours and how much is the HTTP stack we build on.
        .executableTarget(
            name: "HummingbirdFloor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird")
            ]
        ),
    ]
)

// Measured as the server is (../Package.swift, docs/operations.md "Memory"): in release on Linux,
// the Swift runtime and Foundation linked statically and relative relocations packed by lld.
let linuxRelease = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
for target in package.targets where target.type == .executable {
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-static-stdlib"], linuxRelease)]
    target.linkerSettings =
        (target.linkerSettings ?? []) + [
            .unsafeFlags(["-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], linuxRelease)
        ]
}

// The main package's language settings.
for target in package.targets {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .swiftLanguageMode(.v6),
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
            .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
            .enableUpcomingFeature("InternalImportsByDefault"),
        ]
}
