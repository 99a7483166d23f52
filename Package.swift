// swift-tools-version:6.1
import PackageDescription

// Layers (DESIGN.md §1), lowest first. Each module depends only on modules above it in this list:
//   core          ArtifactStoreCore (error shape, byte streams)
//   identity      CArtifactBLAKE3, ArtifactBLAKE3, ArtifactIdentity
//   API contract  ArtifactStoreAPI (the /v1 routes, bodies, value types, name grammar, JSON conventions,
//                 error body and openapi.yaml; what the server and the client share, no HTTP, no database)
//   storage       ArtifactStorage (+ implementations, conformance suite)
//   data plane    ArtifactDataPlane (protocol, value types, errors), ArtifactDataPlaneLocal (in process),
//                 ArtifactDataPlaneConformance (the suite every DataPlane runs), ArtifactCBOR (wire codec),
//                 ArtifactDataPlaneWire (frames, messages, limits, NIO framing handlers),
//                 ArtifactDataPlaneRemote (RemoteDataPlane, the socket client),
//                 ArtifactDataPlaneDaemon (DataPlaneDaemon, the socket server as a Service),
//                 CArtifactDescriptorPassing (SCM_RIGHTS send/receive for the daemon's descriptor side channel)
//   control plane ArtifactMetadata (metadata store on sql-kit: SQLite or PostgreSQL, migrations),
//                 ArtifactControlPlane (registry, retention, garbage collection, audit, auth),
//                 ArtifactOCI (the OCI distribution model over the registry: names, manifests,
//                 upload sessions, referrers; no HTTP)
//   server / CLI  CArtifactProcess (glibc's heap statistics for /metrics), ArtifactServer (the /v1 HTTP API and the OCI /v2 API on Hummingbird: handlers, router, auth,
//                 metrics, configuration, the serve application), ArtifactStoreClient (typed client of the /v1 HTTP API: transfers
//                 with resume and verification, login file, exit statuses), ArtifactStoreCLI (the
//                 `artifactstore` executable, including `artifactstore serve` and `artifactstore dataplane`),
//                 CArtifactICUData (the filtered ICU data table the static release executable links)
// Outside the layers: the fuzzers and test support (ArtifactStoreTestSupport, ArtifactDataPlaneTestSupport),
// which may use any layer. The benchmark tools are a separate package, Benchmarks/, on this package's products.

let package = Package(
    name: "artifactstore",
    platforms: [.macOS(.v15)],
    // Products are what a user of the package imports: the client of the HTTP API, the storage
    // contract with its backends and conformance suite, the data plane protocol with the in-process
    // data plane, the client of a data plane daemon (and the wire protocol its configuration shows)
    // and the conformance suite, the vocabulary types all of them use (errors and byte streams,
    // digests, addresses and the BLAKE3 hasher), and the executable. The control plane, OCI model,
    // metadata store, server and daemon are internal to the executable; the benchmarks are a
    // package of their own (Benchmarks/) built on these products alone.
    products: [
        .executable(name: "artifactstore", targets: ["ArtifactStoreCLI"]),
        // The client's public API is made of the contract's types (Namespace, Tag, PageBody, …).
        .library(name: "ArtifactStoreClient", targets: ["ArtifactStoreClient", "ArtifactStoreAPI"]),
        .library(name: "ArtifactStoreCore", targets: ["ArtifactStoreCore"]),
        .library(name: "ArtifactBLAKE3", targets: ["ArtifactBLAKE3"]),
        .library(name: "ArtifactIdentity", targets: ["ArtifactIdentity"]),
        .library(name: "ArtifactStorage", targets: ["ArtifactStorage"]),
        .library(name: "ArtifactStorageFileSystem", targets: ["ArtifactStorageFileSystem"]),
        .library(name: "ArtifactStorageS3", targets: ["ArtifactStorageS3"]),
        .library(name: "ArtifactStorageFactory", targets: ["ArtifactStorageFactory"]),
        .library(name: "ArtifactStorageConformance", targets: ["ArtifactStorageConformance"]),
        .library(name: "ArtifactDataPlane", targets: ["ArtifactDataPlane"]),
        .library(name: "ArtifactDataPlaneLocal", targets: ["ArtifactDataPlaneLocal"]),
        .library(name: "ArtifactDataPlaneRemote", targets: ["ArtifactDataPlaneRemote"]),
        .library(name: "ArtifactDataPlaneWire", targets: ["ArtifactDataPlaneWire"]),
        .library(name: "ArtifactCBOR", targets: ["ArtifactCBOR"]),
        .library(name: "ArtifactDataPlaneConformance", targets: ["ArtifactDataPlaneConformance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 3.x or 4.x: jwt-kit 5 needs swift-crypto 4.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        // Signs and verifies the registry's short-lived bearer JWTs (docs/oci.md, token auth).
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        // TLS for `serve` and a custom CA for the client (already resolved through
        // async-http-client and hummingbird; named so the products can be used directly).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // HTTP/2 over ALPN under TLS (already resolved through hummingbird's HummingbirdHTTP2).
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.45.0"),
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
                "ArtifactStoreCore",
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

        // MARK: API contract

        // The /v1 HTTP API as both sides see it: the route table with each route's access rule,
        // the request and response bodies, the value types they carry, the name grammar, the JSON
        // conventions, the error body and the OpenAPI document (openapi.yaml, embedded at build
        // time). No HTTP server or client, no database: the server and the client both build on it.
        .target(
            name: "ArtifactStoreAPI",
            dependencies: [
                "ArtifactIdentity",
                "ArtifactStoreCore",
            ],
            exclude: ["openapi.yaml"]
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
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
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

        // The data plane wire protocol (docs/dataplane-protocol.md): frames, messages, limits,
        // credit, and the NIO handlers that frame a connection. Shared by the daemon and the client.
        .target(
            name: "ArtifactDataPlaneWire",
            dependencies: [
                "ArtifactCBOR",
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // sendmsg/recvmsg with SCM_RIGHTS: the cmsg macros Swift cannot use.
        .target(name: "CArtifactDescriptorPassing"),
        // ICU's data table for the static release binary on Linux, filtered to what a server needs
        // (scripts/icu_data.py; docs/operations.md, "Installing without Swift"): only the executable uses it.
        .target(
            name: "CArtifactICUData",
            exclude: ["icudt76l-filtered.dat"],
            cSettings: [.define("ARTIFACTSTORE_FILTERED_ICU_DATA", .when(platforms: [.linux], configuration: .release))]
        ),
        // RemoteDataPlane: the DataPlane of a daemon, over a small pool of Unix socket connections.
        // Whole serves of local files take the object's descriptor from the daemon and read it
        // with the file system backend's reader and LocalDataPlane's proof.
        .target(
            name: "ArtifactDataPlaneRemote",
            dependencies: [
                "ArtifactCBOR",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactDataPlaneWire",
                "ArtifactStorage",
                "ArtifactStorageFileSystem",
                "CArtifactDescriptorPassing",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // DataPlaneDaemon: serves any DataPlane on a Unix socket (mode, SO_PEERCRED, limits,
        // graceful shutdown) as a swift-service-lifecycle Service.
        .target(
            name: "ArtifactDataPlaneDaemon",
            dependencies: [
                "ArtifactCBOR",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactDataPlaneWire",
                "ArtifactStorage",
                "CArtifactDescriptorPassing",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Control plane

        // The metadata database: SQLite (default, a file in WAL mode) or PostgreSQL, one sql-kit
        // code path, versioned migrations that refuse a database newer than the code.
        // A C shim for the one SQLite call Swift cannot make (a variadic one): the metadata
        // store's prepared reads (ArtifactMetadata, SQLitePreparedConnection).
        .target(name: "CArtifactSQLite"),
        .target(
            name: "ArtifactMetadata",
            dependencies: [
                "ArtifactStoreCore",
                "CArtifactSQLite",
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
                "ArtifactStoreAPI",
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The OCI distribution model over the registry (docs/oci.md): repository names, manifest
        // parsing and validation, durable upload sessions, mounts, referrers, tag and catalog
        // listings, and the spec's error codes. No HTTP: ArtifactServer's OCI*.swift serve it.
        .target(
            name: "ArtifactOCI",
            dependencies: [
                "ArtifactControlPlane",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactStoreAPI",
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Identity providers

        // A minimal LDAPv3 client on SwiftNIO (BER codec, simple bind, group search, unbind),
        // for Basic credentials checked against a directory (docs/operations.md, "LDAP").
        .target(
            name: "ArtifactLDAP",
            dependencies: [
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Identity/ArtifactLDAP"
        ),

        // MARK: Server and CLI

        // The /v1 HTTP API over the control plane: router, middlewares (request id, auth, metrics,
        // errors as JSON), streaming routes, health/readiness/metrics, the OpenAPI document, the
        // layered configuration (file, environment, flags) and the serve application.
        // A C shim for glibc's heap statistics (`mallinfo2`), which /metrics reports.
        .target(name: "CArtifactProcess"),
        .target(
            name: "ArtifactServer",
            dependencies: [
                "CArtifactProcess",
                "ArtifactControlPlane",
                "ArtifactLDAP",
                "ArtifactOCI",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactDataPlaneRemote",
                "ArtifactIdentity",
                "ArtifactStoreAPI",
                "ArtifactStorage",
                "ArtifactStorageFactory",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // OIDC sign-in: ID tokens verified against the provider's keys, PKCE's S256.
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // `serve --tls-cert/--tls-key`: Hummingbird's TLS child channel (swift-nio-ssl,
                // already built for async-http-client), with NIOSSL for the reloadable identity.
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                // HTTP/2 when a TLS client offers it by ALPN (NegotiatedHTTPChannel, HTTP2StreamGate).
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
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
                "ArtifactStoreAPI",
                "ArtifactIdentity",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // `--ca-cert`: the trust roots of the HTTPS client configuration.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ArtifactStoreCLI",
            dependencies: [
                "ArtifactServer",
                .target(name: "CArtifactICUData", condition: .when(platforms: [.linux])),
                .product(name: "Configuration", package: "swift-configuration"),
                "ArtifactControlPlane",
                "ArtifactStoreClient",
                "ArtifactStoreAPI",
                "ArtifactStoreCore",
                "ArtifactDataPlane",
                "ArtifactDataPlaneDaemon",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "ArtifactStorage",
                "ArtifactStorageFactory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Tests

        // What several test targets share: where ../shared/testdata is, the S3 test server, and the
        // metadata databases (SQLite file, PostgreSQL schema) tests run against.
        .target(
            name: "ArtifactStoreTestSupport",
            dependencies: [
                "ArtifactStorage",
                "ArtifactStorageS3",
                "ArtifactMetadata",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Data plane conformance subjects (LocalDataPlane over memory, filesystem and S3 backends,
        // with the hooks the suite needs), shared by the local and the remote data plane tests.
        .target(
            name: "ArtifactDataPlaneTestSupport",
            dependencies: [
                "ArtifactStoreTestSupport",
                "ArtifactDataPlane",
                "ArtifactDataPlaneConformance",
                "ArtifactDataPlaneLocal",
                "ArtifactStorage",
                "ArtifactStorageFileSystem",
                "ArtifactStorageS3",
                "ArtifactStoreCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // The contract: openapi.yaml against the route table and the Swift bodies, in both directions.
        .testTarget(
            name: "ArtifactStoreAPITests",
            dependencies: [
                "ArtifactStoreAPI",
                "ArtifactStoreTestSupport",
                "ArtifactIdentity",
            ]
        ),
        .testTarget(
            name: "ArtifactLDAPTests",
            dependencies: [
                "ArtifactLDAP",
                "ArtifactStoreCore",
                "ArtifactStoreTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
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
                // Test content made quickly ([UInt8](count:byteAt:)).
                "ArtifactStoreTestSupport",
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
                "ArtifactCBOR",
                "ArtifactDataPlane",
                "ArtifactIdentity",
                "ArtifactStoreCore",
            ]
        ),
        .testTarget(
            name: "ArtifactDataPlaneLocalTests",
            dependencies: [
                "ArtifactDataPlaneTestSupport",
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
            name: "ArtifactDataPlaneRemoteTests",
            dependencies: [
                "ArtifactDataPlaneTestSupport",
                "ArtifactStoreTestSupport",
                "ArtifactCBOR",
                "ArtifactDataPlane",
                "ArtifactDataPlaneConformance",
                "ArtifactDataPlaneDaemon",
                "ArtifactDataPlaneLocal",
                "ArtifactDataPlaneRemote",
                "ArtifactDataPlaneWire",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStoreCore",
                "CArtifactDescriptorPassing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "ArtifactControlPlaneTests",
            dependencies: [
                "ArtifactStoreAPI",
                "ArtifactStoreTestSupport",
                "ArtifactControlPlane",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactDataPlaneDaemon",
                "ArtifactDataPlaneLocal",
                "ArtifactDataPlaneRemote",
                "ArtifactIdentity",
                "ArtifactStorage",
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "ArtifactServerTests",
            dependencies: [
                "ArtifactStoreAPI",
                "ArtifactStoreTestSupport",
                "ArtifactServer",
                "ArtifactStorageS3",
                "ArtifactOCI",
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
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactOCITests",
            dependencies: [
                "ArtifactStoreAPI",
                "ArtifactStoreTestSupport",
                "ArtifactDataPlaneTestSupport",
                "ArtifactOCI",
                "ArtifactControlPlane",
                "ArtifactMetadata",
                "ArtifactDataPlane",
                "ArtifactDataPlaneLocal",
                "ArtifactIdentity",
                "ArtifactStorageFileSystem",
                "ArtifactStoreCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStoreCLITests",
            dependencies: [
                "ArtifactStoreAPI",
                // TestCertificateAuthority: the CA the --ca-cert tests trust.
                "ArtifactStoreTestSupport",
                "ArtifactStoreCLI",
                "ArtifactStoreClient",
                "ArtifactControlPlane",
                // The error catalog (docs/errors.md) lists every layer's codes.
                "ArtifactBLAKE3",
                "ArtifactLDAP",
                "ArtifactCBOR",
                "ArtifactDataPlaneDaemon",
                "ArtifactDataPlaneWire",
                "ArtifactMetadata",
                "ArtifactOCI",
                "ArtifactServer",
                "ArtifactStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                "ArtifactIdentity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                "ArtifactDataPlane",
                "ArtifactDataPlaneRemote",
                "ArtifactStoreCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ArtifactStoreClientTests",
            dependencies: [
                "ArtifactStoreAPI",
                "ArtifactStoreClient",
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

// libFuzzer targets for the CBOR decoder and the data plane frame decoder, only when asked for,
// since they need -sanitize=fuzzer (see docs/fuzzing.md):
// ARTIFACTSTORE_FUZZ=1 swift build --product CBORFuzzer … (or FrameFuzzer)
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
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    )
    package.products.append(.executable(name: "CBORFuzzer", targets: ["CBORFuzzer"]))
    // The same for the data plane frame decoder (FrameDecoder, Frame.parse, the message bodies).
    package.targets.append(
        .executableTarget(
            name: "FrameFuzzer",
            dependencies: [
                "ArtifactCBOR",
                "ArtifactDataPlaneWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/FrameFuzzer",
            swiftSettings: [
                .unsafeFlags(["-parse-as-library"]),
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    )
    package.products.append(.executable(name: "FrameFuzzer", targets: ["FrameFuzzer"]))
}

// Where each target's sources live: folders that show the layers (DESIGN.md §1), as Hummingbird and
// sql-kit lay theirs out. Module names stay as they are; only the folders group them.
let sourceFolders: [String: [String]] = [
    "Core": ["ArtifactStoreCore", "CArtifactBLAKE3", "ArtifactBLAKE3", "ArtifactIdentity"],
    "API": ["ArtifactStoreAPI"],
    "Storage": [
        "ArtifactStorage", "CArtifactStorageFileSystem", "ArtifactStorageFileSystem", "ArtifactStorageS3",
        "ArtifactStorageFactory", "ArtifactStorageConformance",
    ],
    "DataPlane": [
        "ArtifactDataPlane", "ArtifactDataPlaneLocal", "ArtifactDataPlaneConformance", "ArtifactCBOR",
        "ArtifactDataPlaneWire", "ArtifactDataPlaneRemote", "ArtifactDataPlaneDaemon", "CArtifactDescriptorPassing",
    ],
    "ControlPlane": ["CArtifactSQLite", "ArtifactMetadata", "ArtifactControlPlane", "ArtifactOCI"],
    "Server": ["CArtifactProcess", "ArtifactServer"],
    "Client": ["ArtifactStoreClient", "ArtifactStoreCLI", "CArtifactICUData"],
    "TestSupport": ["ArtifactStoreTestSupport", "ArtifactDataPlaneTestSupport"],
]
for (folder, names) in sourceFolders {
    for target in package.targets where names.contains(target.name) {
        target.path = "Sources/\(folder)/\(target.name)"
    }
}

// How the release executables are built and measured (docs/operations.md, "Memory"): on Linux the
// Swift runtime and Foundation are linked statically, and lld packs relative relocations (DT_RELR),
// which keeps about 7 MiB fewer pages of code resident. So `swift run -c release artifactstore serve`
// needs no flags. Only the executables get these: compiling their main module with -static-stdlib
// makes its objects' autolink entries name the static libraries (and what they need) of every module
// it loads, so the libraries and the dependencies compile as in any build, and debug builds and
// tests are untouched. The binary needs glibc 2.36 or later (DT_RELR) at run time. `--no-export-dynamic`
// undoes the `-export-dynamic` of the static runtime's link arguments: nothing looks the executable's own
// symbols up at run time (no plugins are loaded; the runtime finds metadata through its sections), and
// exporting every symbol cost 6.8 MB of the stripped binary (docs/operations.md, "Installing without
// Swift"; the separate debug file names the functions of a backtrace). The executable also
// links CArtifactICUData, whose filtered ICU data table replaces the toolchain's 34 MB one in this
// static link (docs/operations.md, "Installing without Swift").
// (Benchmarks/Package.swift gives its two executables the same settings, but for --no-export-dynamic,
// which changes no code.)
let releaseExecutables: Set = ["ArtifactStoreCLI"]
let linuxRelease = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
for target in package.targets where releaseExecutables.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-static-stdlib"], linuxRelease)]
    target.linkerSettings =
        (target.linkerSettings ?? []) + [
            .unsafeFlags(
                [
                    "-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                    "-Xlinker", "--no-export-dynamic",
                ],
                linuxRelease
            )
        ]
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

    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0461-async-function-isolation.md
    settings.append(.enableUpcomingFeature("NonisolatedNonsendingByDefault"))

    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0409-access-level-on-imports.md
    // An import is internal unless marked: `public import` only where a public declaration shows
    // the module's types, `package import` where only package declarations do.
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))

    target.swiftSettings = settings
}
