import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactOCI
import ArtifactStorageFileSystem
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Crypto
import Foundation
import Logging
import NIOCore
import SQLKit
import Synchronization
import Testing

/// Upload sessions at the model level, on both databases: durability across a restart, the
/// GC protection of a live session's chunks, expiry, and manifests as GC references.
@Suite("OCI upload sessions and GC", .timeLimit(.minutes(10)))
struct OCIUploadSessionTests {
    /// A settable clock for the control plane.
    final class TestClock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(_ seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
        var closure: @Sendable () -> Date { { self.now.withLock { $0 } } }
    }

    static let context = RequestContext(actor: "test", requestID: "r-1")
    static let repository = OCIRepositoryName(namespace: "team", artifact: "app")

    /// Runs `body` with a data directory and a database location that outlive reopened control planes.
    static func withStore(
        _ database: TestDatabase,
        test: String = #function,
        _ body: (String, MetadataLocation) async throws -> Void
    ) async throws {
        try await database.withLocation(maximumConnections: 4, test: test) { location in
            let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-oci-\(UUID().uuidString.lowercased())"
            try FileManager.default.createDirectory(atPath: directory + "/blobs", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await body(directory, location)
        }
    }

    /// A control plane over `directory` and `location`; with `staging` false its data plane cannot
    /// stage (as a remote one), so sessions keep chunk blobs.
    static func open(
        _ directory: String,
        _ location: MetadataLocation,
        clock: TestClock = TestClock(),
        staging: Bool = true
    ) async throws -> ControlPlane {
        let local = try LocalDataPlane(
            backends: [.init(id: "default", connector: try FileSystemConnector(rootPath: directory + "/blobs", logger: TestLogs.silent))],
            logger: TestLogs.silent
        )
        let dataPlane: any DataPlane = staging ? local : ChunkOnlyDataPlane(base: local)
        return try await ControlPlane.open(
            location,
            dataPlane: dataPlane,
            configuration: .init(gcGracePeriod: .seconds(60)),
            clock: clock.closure,
            logger: TestLogs.silent
        )
    }

    /// Runs `body` with a control plane opened over `directory` and `location`, closing it on every path.
    static func withOpen<R>(
        _ directory: String,
        _ location: MetadataLocation,
        clock: TestClock = TestClock(),
        staging: Bool = true,
        _ body: (ControlPlane) async throws -> R
    ) async throws -> R {
        let controlPlane = try await open(directory, location, clock: clock, staging: staging)
        return try await withCleanup {
            try await body(controlPlane)
        } then: {
            await controlPlane.close()
        }
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        [UInt8](count: count) { UInt8(truncatingIfNeeded: $0 &* 13 &+ Int(seed)) }
    }

    static func stream(_ bytes: some Collection<UInt8>) -> ByteStream { ByteStream(ByteBuffer(bytes: Array(bytes))) }

    /// An OCI image manifest over one config and one layer, as the bytes a client would push.
    static func imageManifest(config: String, configSize: Int, layer: String, layerSize: Int) -> [UInt8] {
        Array(
            """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config)","size":\(configSize)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layer)","size":\(layerSize)}]}
            """.utf8
        )
    }

    static func sha256(_ bytes: [UInt8]) throws -> ArtifactIdentity.Digest {
        try ArtifactIdentity.Digest(algorithm: .sha256, bytes: Array(SHA256.hash(data: bytes)))
    }

    @Test(
        "an upload survives closing and reopening the control plane; the offset is right; the closing ingest re-hashes the chunks",
        arguments: TestDatabase.allCases
    )
    func survivesRestart(database: TestDatabase) async throws {
        try await Self.withStore(database) { directory, location in
            let content = Self.bytes(50_000, seed: 1)
            let digest = try Self.sha256(content)
            let session = try await Self.withOpen(directory, location) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let session = try await oci.startUpload(Self.repository, context: Self.context)
                let first = try await oci.appendChunk(
                    Self.repository,
                    id: session.id,
                    start: 0,
                    body: Self.stream(content[..<20_000]),
                    size: 20_000,
                    context: Self.context
                )
                #expect(first.offset == 20_000)
                return session
            }

            try await Self.withOpen(directory, location) { controlPlane in
                let oci = OCIRegistry(controlPlane: controlPlane)
                #expect(try await oci.upload(Self.repository, id: session.id).offset == 20_000)
                // Out of order after the restart: refused with what is held.
                await #expect {
                    try await oci.appendChunk(
                        Self.repository,
                        id: session.id,
                        start: 30_000,
                        body: Self.stream(content[30_000...]),
                        size: 20_000,
                        context: Self.context
                    )
                } throws: {
                    ($0 as? OCIError)?.kind == .rangeInvalid && ($0 as? OCIError)?.receivedBytes == 20_000
                }
                _ = try await oci.appendChunk(
                    Self.repository,
                    id: session.id,
                    start: 20_000,
                    body: Self.stream(content[20_000...]),
                    size: 30_000,
                    context: Self.context
                )
                let blob = try await oci.finishUpload(
                    Self.repository,
                    id: session.id,
                    digest: .sha256(digest),
                    finalBody: nil,
                    finalSize: nil,
                    context: Self.context
                )
                #expect(blob.sha256 == digest)
                #expect(blob.size == 50_000)
                var read: [UInt8] = []
                for try await buffer in try await oci.openBlob(Self.repository, blob, range: nil) {
                    read += Array(buffer.readableBytesView)
                }
                #expect(read == content)
                await #expect { try await oci.upload(Self.repository, id: session.id) } throws: {
                    ($0 as? OCIError)?.kind == .blobUploadUnknown
                }
                let finish = try await controlPlane.audit.records(AuditFilter(action: "oci.upload.finish")).items
                #expect(finish.count == 1)
                #expect(finish.first?.requestID == "r-1")
            }
        }
    }

    /// Chunk sessions: over a data plane that cannot stage (as a remote one), every PATCH is a blob.
    @Test(
        "GC keeps a live session's chunks past the grace period and collects them once the session expired",
        arguments: TestDatabase.allCases
    )
    func gcAndExpiry(database: TestDatabase) async throws {
        try await Self.withStore(database) { directory, location in
            let clock = TestClock()
            try await Self.withOpen(directory, location, clock: clock, staging: false) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let chunk = Self.bytes(4096, seed: 2)
                let session = try await oci.startUpload(Self.repository, context: Self.context)
                _ = try await oci.appendChunk(
                    Self.repository,
                    id: session.id,
                    start: nil,
                    body: Self.stream(chunk),
                    size: nil,
                    context: Self.context
                )
                let address = try #require(
                    try await OCIStore(registry: controlPlane.registry).uploadChunks(uploadID: session.id).first?.address
                )
                try await Self.collect(controlPlane, clock, rounds: 2)
                #expect(try await Self.state(controlPlane, address) == "live")
                #expect(try await oci.upload(Self.repository, id: session.id).offset == 4096)

                let expired = try await OCIStore(registry: controlPlane.registry).expireUploads(
                    startedBefore: clock.closure().addingTimeInterval(-60)
                )
                #expect(expired == 1)
                try await Self.collect(controlPlane, clock, rounds: 2)
                #expect(try await Self.state(controlPlane, address) == "deleted")
                await #expect { try await oci.upload(Self.repository, id: session.id) } throws: {
                    ($0 as? OCIError)?.kind == .blobUploadUnknown
                }
            }
        }
    }

    @Test("a blob referenced only by a manifest survives GC; deleting the manifest lets GC collect it", arguments: TestDatabase.allCases)
    func manifestReferencesBlobs(database: TestDatabase) async throws {
        try await Self.withStore(database) { directory, location in
            let clock = TestClock()
            try await Self.withOpen(directory, location, clock: clock) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let config = Array("{}".utf8)
                let layer = Self.bytes(2048, seed: 3)
                let configBlob = try await oci.ingest(
                    Self.repository,
                    digest: .sha256(try Self.sha256(config)),
                    body: Self.stream(config),
                    size: nil,
                    context: Self.context
                )
                let layerBlob = try await oci.ingest(
                    Self.repository,
                    digest: .sha256(try Self.sha256(layer)),
                    body: Self.stream(layer),
                    size: nil,
                    context: Self.context
                )
                let manifestBytes = Self.imageManifest(
                    config: "\(configBlob.sha256)",
                    configSize: 2,
                    layer: "\(layerBlob.sha256)",
                    layerSize: 2048
                )
                let manifest = try await oci.putManifest(
                    Self.repository,
                    reference: "v1",
                    bytes: manifestBytes,
                    contentType: nil,
                    context: Self.context
                )
                try await Self.collect(controlPlane, clock, rounds: 2)
                #expect(try await Self.state(controlPlane, layerBlob.address) == "live")
                #expect(try await Self.state(controlPlane, configBlob.address) == "live")
                #expect(try await oci.manifest(Self.repository, reference: "v1").digest == manifest.digest)

                try await oci.deleteManifest(Self.repository, reference: manifest.digest.description, context: Self.context)
                try await Self.collect(controlPlane, clock, rounds: 3)
                #expect(try await Self.state(controlPlane, layerBlob.address) == "deleted")
            }
        }
    }

    @Test(
        "a manifest with more references than a version may hold is MANIFEST_INVALID before any lookup; nothing is stored",
        arguments: TestDatabase.allCases
    )
    func tooManyReferences(database: TestDatabase) async throws {
        try await Self.withStore(database) { directory, location in
            try await Self.withOpen(directory, location) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let layers = (0..<Registry.maximumFiles).map { index in
                    let digest = "sha256:" + String(format: "%064x", index + 1)
                    return #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(digest)","size":1}"#
                }
                let config = "sha256:" + String(repeating: "0", count: 64)
                let json =
                    #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#
                    + #"{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":1},"#
                    + #""layers":[\#(layers.joined(separator: ","))]}"#
                do {
                    _ = try await oci.putManifest(
                        Self.repository,
                        reference: "v1",
                        bytes: Array(json.utf8),
                        contentType: nil,
                        context: Self.context
                    )
                    Issue.record("a manifest of \(Registry.maximumFiles + 1) references was accepted")
                } catch let error as OCIError {
                    #expect(error.kind == .manifestInvalid)
                    #expect(error.message.contains("at most \(Registry.maximumFiles - 1)"))
                }
                let blobs = try await controlPlane.store.read { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM blobs").first()?.decode(column: "n", as: Int.self)
                }
                #expect(blobs == 0)
            }
        }
    }

    @Test(
        "a sha512-mapped blob is kept by its manifest, not by its mapping: deleting the manifest lets GC collect it, and the sha512 lookup then fails",
        arguments: TestDatabase.allCases
    )
    func sha512MappedBlobIsCollected(database: TestDatabase) async throws {
        try await Self.withStore(database) { directory, location in
            let clock = TestClock()
            try await Self.withOpen(directory, location, clock: clock) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let config = Array("{}".utf8)
                let layer = Self.bytes(3000, seed: 4)
                let layerDigest = OCIBlobDigest.sha512(hex: SHA512.hash(data: layer).map { String(format: "%02x", $0) }.joined())
                _ = try await oci.ingest(
                    Self.repository,
                    digest: .sha256(try Self.sha256(config)),
                    body: Self.stream(config),
                    size: nil,
                    context: Self.context
                )
                let layerBlob = try await oci.ingest(
                    Self.repository,
                    digest: layerDigest,
                    body: Self.stream(layer),
                    size: nil,
                    context: Self.context
                )
                #expect(try await oci.blob(Self.repository, digest: layerDigest).address == layerBlob.address)
                #expect(layerBlob.sha256 == (try Self.sha256(layer)))
                let manifestBytes = Self.imageManifest(
                    config: "\(try Self.sha256(config))",
                    configSize: 2,
                    layer: "\(layerDigest)",
                    layerSize: 3000
                )
                let manifest = try await oci.putManifest(
                    Self.repository,
                    reference: "v1",
                    bytes: manifestBytes,
                    contentType: nil,
                    context: Self.context
                )
                #expect(manifest.blobs.contains(layerDigest))
                let files = try await controlPlane.registry.version(
                    namespace: "team",
                    artifact: "app",
                    version: OCIDigest.versionName(manifest.digest)
                ).files
                #expect(files.contains { $0.path == "blobs/\(OCIDigest.fileName(layerDigest))" && $0.address == layerBlob.address })
                try await Self.collect(controlPlane, clock, rounds: 2)
                #expect(try await Self.state(controlPlane, layerBlob.address) == "live")
                #expect(try await oci.blob(Self.repository, digest: layerDigest).size == 3000)

                try await oci.deleteManifest(Self.repository, reference: manifest.digest.description, context: Self.context)
                try await Self.collect(controlPlane, clock, rounds: 3)
                #expect(try await Self.state(controlPlane, layerBlob.address) == "deleted")
                #expect(try await Self.aliases(controlPlane, layerBlob.address) == 0, "the collected blob's sha512 mapping was kept")
                await #expect { try await oci.blob(Self.repository, digest: layerDigest) } throws: {
                    ($0 as? OCIError)?.kind == .blobUnknown
                }

                // Pushed again by sha512 after the collection: stored anew and found again.
                let again = try await oci.ingest(
                    Self.repository,
                    digest: layerDigest,
                    body: Self.stream(layer),
                    size: nil,
                    context: Self.context
                )
                #expect(again.address == layerBlob.address)
                #expect(try await Self.state(controlPlane, layerBlob.address) == "live")
                #expect(try await Self.aliases(controlPlane, layerBlob.address) == 1)
                #expect(try await oci.blob(Self.repository, digest: layerDigest).address == layerBlob.address)
            }
        }
    }

    @Test(
        "OCIStore.ingestBlob records nothing (no link, no mapping) when the caller's check did not pass",
        arguments: TestDatabase.allCases
    )
    func uncheckedAliasRecordsNothing(database: TestDatabase) async throws {
        try await Self.withStore(database) { directory, location in
            try await Self.withOpen(directory, location) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let alias = OCIDigestAlias(algorithm: "sha512", digest: "sha512:" + String(repeating: "a", count: 128))
                await #expect {
                    try await OCIStore(registry: controlPlane.registry).ingestBlob(
                        namespace: "team",
                        Self.stream(Self.bytes(100, seed: 5)),
                        hints: IngestHints(),
                        alias: alias,
                        verified: { false },
                        context: Self.context
                    )
                } throws: { ($0 as? ControlPlaneError)?.kind == .invalidDigest }
                let counts = try await controlPlane.store.read { db in
                    var counts: [Int64] = []
                    for table in ["links", "blob_digests"] {
                        counts.append(
                            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int64.self)
                                ?? -1
                        )
                    }
                    return counts
                }
                #expect(counts == [0, 0])
                await #expect { try await OCIStore(registry: controlPlane.registry).blob(namespace: "team", alias: alias) } throws: {
                    ($0 as? ControlPlaneError)?.kind == .blobNotFound
                }
            }
        }
    }

    /// Runs `rounds` collections, each an hour (well past the 60 s grace period) after the last.
    static func collect(_ controlPlane: ControlPlane, _ clock: TestClock, rounds: Int) async throws {
        for _ in 0..<rounds {
            clock.advance(3600)
            _ = try await controlPlane.garbageCollector.collect()
        }
    }

    /// How many `blob_digests` rows map a digest to `address`.
    static func aliases(_ controlPlane: ControlPlane, _ address: ContentAddress) async throws -> Int {
        try await controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM blob_digests WHERE address = \(bind: address.description)").first()?.decode(
                column: "n",
                as: Int.self
            ) ?? 0
        }
    }

    static func state(_ controlPlane: ControlPlane, _ address: ContentAddress) async throws -> String? {
        try await controlPlane.store.read { db in
            try await db.raw("SELECT state FROM blobs WHERE address = \(bind: address.description)").first()?.decode(
                column: "state",
                as: String.self
            )
        }
    }
}
