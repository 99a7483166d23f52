// swift-tools-version:6.1
import PackageDescription

// Layers (DESIGN.md §1), lowest first. Each module depends only on modules above it in this list:
//   core          ArtifactStoreCore (error shape, byte streams)
//   identity      CArtifactBLAKE3, ArtifactBLAKE3, ArtifactIdentity
//   storage       ArtifactStorage (+ implementations, conformance suite)
//   data plane    ArtifactDataPlane (protocol, value types, errors), ArtifactDataPlaneLocal (in process),
//                 ArtifactDataPlaneConformance (the suite every DataPlane runs), ArtifactCBOR (wire codec)
//   control plane ArtifactMetadata (metadata store on sql-kit: SQLite or PostgreSQL, migrations),
//                 ArtifactControlPlane (registry, retention, garbage collection, audit, auth)
//   server / CLI  ArtifactServer (the /v1 HTTP API on Hummingbird: routes, auth, metrics, configuration,
//                 the serve application), ArtifactStoreClient (typed client of the /v1 HTTP API: transfers
//                 with resume and verification, login file, exit statuses), ArtifactStoreCLI (the
//                 `artifactstore` executable)

let package = Package(
    name: "artifactstore",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "artifactstore", targets: ["ArtifactStoreCLI"]),
        .library(name: "ArtifactBLAKE3", targets: ["ArtifactBLAKE3"]),
        .library(name: "ArtifactStoreCore", targets: ["ArtifactStoreCore"]),
        .library(name: "ArtifactIdentity", targets: ["ArtifactIdentity"]),
        .library(name: "ArtifactStorage", targets: ["ArtifactStorage"]),
        .library(name: "ArtifactStorageFileSystem", targets: ["ArtifactStorageFileSystem"]),
        .library(name: "ArtifactStorageConformance", targets: ["ArtifactStorageConformance"]),
        .library(name: "ArtifactStorageFactory", targets: ["ArtifactStorageFactory"]),
        .library(name: "ArtifactStorageS3", targets: ["ArtifactStorageS3"]),
        .library(name: "ArtifactCBOR", targets: ["ArtifactCBOR"]),
        .library(name: "ArtifactDataPlane", targets: ["ArtifactDataPlane"]),
        .library(name: "ArtifactDataPlaneLocal", targets: ["ArtifactDataPlaneLocal"]),
        .library(name: "ArtifactDataPlaneConformance", targets: ["ArtifactDataPlaneConformance"]),
        .library(name: "ArtifactMetadata", targets: ["ArtifactMetadata"]),
        .library(name: "ArtifactControlPlane", targets: ["ArtifactControlPlane"]),
        .library(name: "ArtifactServer", targets: ["ArtifactServer"]),
        .library(name: "ArtifactStoreClient", targets: ["ArtifactStoreClient"]),
        .executable(name: "artifactstore-bench", targets: ["ArtifactStoreBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
    ],
    targets: [
        // MARK: Core (errors and byte streams every layer shares)

        .target(
            name: "ArtifactStoreCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),

        // MARK: Identity

        // BLAKE3 in C: portable code plus SSE4.1/AVX2/AVX-512 paths picked at run time from CPUID.
        // Always optimised, so debug builds and tests hash at a useful speed.
        .target(name: "CArtifactBLAKE3", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "ArtifactBLAKE3",
            dependencies: [
                "CArtifactBLAKE3",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ArtifactIdentity",
            dependencies: [
                "ArtifactStoreCore",
                "ArtifactBLAKE3",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Storage

        .target(
            name: "ArtifactStorage",
            dependencies: [
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // openat2 and renameat2 through syscall(2), which Swift cannot call (it is variadic).
        .target(name: "CArtifactStorageFileSystem"),
        .target(
            name: "ArtifactStorageFileSystem",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStoreCore",
                "CArtifactStorageFileSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The promises every StorageBackend keeps, as a library each backend's tests run.
        .target(
            name: "ArtifactStorageConformance",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStoreCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Storage URLs (file://, memory://, s3://) to connectors, and the session-aware client.
        // Depends on each backend it registers by default.
        .target(
            name: "ArtifactStorageFactory",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStorageFileSystem",
                "ArtifactStorageS3",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // S3 (and S3-compatible) backend: SigV4 signing, multipart upload, ranged GET, ListObjectsV2.
        .target(
            name: "ArtifactStorageS3",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Data plane

        // CBOR (RFC 8949) written here: value model, hardened decoder, deterministic encoder, Codable.
        .target(
            name: "ArtifactCBOR",
            dependencies: [
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The DataPlane protocol and its Codable value types and errors: what the control plane sees.
        .target(
            name: "ArtifactDataPlane",
            dependencies: [
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // LocalDataPlane: the data plane in process, over named storage backends.
        .target(
            name: "ArtifactDataPlaneLocal",
            dependencies: [
                "ArtifactBLAKE3",
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStoreCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The promises every DataPlane keeps, written against the protocol only.
        .target(
            name: "ArtifactDataPlaneConformance",
            dependencies: [
                "ArtifactStorageConformance",
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactBLAKE3",
                "ArtifactStoreCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Control plane

        // The metadata database: SQLite (default, a file in WAL mode) or PostgreSQL, one sql-kit
        // code path, versioned migrations that refuse a database newer than the code.
        .target(
            name: "ArtifactMetadata",
            dependencies: [
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Registry, retention, online garbage collection, hash-chained audit and scoped tokens.
        // Touches bytes only through the DataPlane protocol; no HTTP.
        .target(
            name: "ArtifactControlPlane",
            dependencies: [
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Server and CLI

        // The /v1 HTTP API over the control plane: router, middlewares (request id, auth, metrics,
        // errors as JSON), streaming routes, health/readiness/metrics, the OpenAPI document, the
        // layered configuration (file, environment, flags) and the serve application.
        .target(
            name: "ArtifactServer",
            dependencies: [
                "ArtifactControlPlane",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStorageFactory",
                "ArtifactStoreCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The /v1 API's client: JSON calls with the server's error codes, blob uploads streamed
        // from files, downloads streamed to files with Range resume and whole-file verification,
        // push/pull, the login file and configuration precedence.
        .target(
            name: "ArtifactStoreClient",
            dependencies: [
                "ArtifactControlPlane",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ArtifactStoreCLI",
            dependencies: [
                "ArtifactServer",
                .product(name: "Configuration", package: "swift-configuration"),
                "ArtifactControlPlane",
                "ArtifactStoreClient",
                "ArtifactStoreCore",
                "ArtifactIdentity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "ArtifactStorage",
                "ArtifactStorageFactory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),

        // Benchmarks that need our code in release mode (scripts/bench.sh); not part of the product CLI.
        .executableTarget(
            name: "ArtifactStoreBench",
            dependencies: [
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStorageFileSystem",
                "ArtifactStoreCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Tests

        // What several test targets share: where ../shared/testdata is, and the S3 test server.
        .target(
            name: "ArtifactStoreTestSupport",
            dependencies: ["ArtifactStorage", "ArtifactStorageS3"]
        ),

        .testTarget(
            name: "ArtifactBLAKE3Tests",
            dependencies: ["ArtifactStoreTestSupport", "ArtifactBLAKE3", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "ArtifactIdentityTests",
            dependencies: [
                "ArtifactStoreTestSupport",
                "ArtifactIdentity",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStorageTests",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStorageConformance",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStorageFileSystemTests",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStorageFileSystem",
                "CArtifactStorageFileSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "ArtifactStorageConformance",
                "ArtifactStoreCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStorageFactoryTests",
            dependencies: [
                "ArtifactStoreTestSupport",
                "ArtifactStorage",
                "ArtifactStorageFactory",
                "ArtifactStorageFileSystem",
                "ArtifactStorageS3",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStorageS3Tests",
            dependencies: [
                "ArtifactStoreTestSupport",
                "ArtifactStorageS3",
                "ArtifactStorage",
                "ArtifactStorageConformance",
                "ArtifactStorageFactory",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ArtifactDataPlaneTests",
            dependencies: [
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactStoreCore",
            ]
        ),
        .testTarget(
            name: "ArtifactDataPlaneLocalTests",
            dependencies: [
                "ArtifactStoreTestSupport",
                "ArtifactDataPlane",
                "ArtifactDataPlaneConformance",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStorageConformance",
                "ArtifactStorageFileSystem",
                "ArtifactStorageS3",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactCBORTests",
            dependencies: [
                "ArtifactStoreTestSupport",
                "ArtifactCBOR",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactControlPlaneTests",
            dependencies: [
                "ArtifactControlPlane",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "ArtifactServerTests",
            dependencies: [
                "ArtifactServer",
                "ArtifactControlPlane",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStorageFileSystem",
                "ArtifactStoreCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStoreCLITests",
            dependencies: [
                "ArtifactStoreCLI",
                "ArtifactStoreClient",
                "ArtifactControlPlane",
                "ArtifactIdentity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ArtifactStoreClientTests",
            dependencies: [
                "ArtifactStoreClient",
                "ArtifactControlPlane",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)

// A libFuzzer target for the CBOR decoder, only when asked for, since it needs -sanitize=fuzzer
// (see docs/fuzzing.md): ARTIFACTSTORE_FUZZ=1 swift build --product CBORFuzzer …
if Context.environment["ARTIFACTSTORE_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "CBORFuzzer",
            dependencies: ["ArtifactCBOR"],
            path: "Fuzz/CBORFuzzer",
            swiftSettings: [
                // libFuzzer provides main().
                .unsafeFlags(["-parse-as-library"]),
                // The loop below skips names starting with "C" (the C targets); same settings here.
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        )
    )
    package.products.append(.executable(name: "CBORFuzzer", targets: ["CBORFuzzer"]))
}

// One settings block for every target, in the style of swift-configuration.
for target in package.targets {
    guard target.type != .system, target.type != .binary, target.name.hasPrefix("C") == false else { continue }
    var settings = target.swiftSettings ?? []

    // Swift 6 language mode (the tools version default) brings complete strict concurrency checking.
    settings.append(.swiftLanguageMode(.v6))

    // https://github.com/apple/swift-evolution/blob/main/proposals/0335-existential-any.md
    settings.append(.enableUpcomingFeature("ExistentialAny"))

    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0444-member-import-visibility.md
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))

    target.swiftSettings = settings
}
