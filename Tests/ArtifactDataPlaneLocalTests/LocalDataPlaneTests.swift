import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneLocal
import ArtifactDataPlaneTestSupport
import ArtifactIdentity
import ArtifactStorage
import ArtifactStorageFileSystem
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

/// What the conformance suite cannot see: configuration, layout, and backends that are gone
/// from the start.
@Suite("LocalDataPlane", .timeLimit(.minutes(5)))
struct LocalDataPlaneTests {
    func memoryBackend(_ id: String) throws -> LocalDataPlane.Backend {
        .init(id: id, connector: try MemoryConnector(name: "dataplane-config-\(UUID().uuidString.lowercased())"))
    }

    @Test func configurationIsChecked() throws {
        #expect(throws: DataPlaneError.self) { try LocalDataPlane(backends: [], logger: TestLogs.silent) }
        do {
            _ = try LocalDataPlane(backends: [memoryBackend("a"), memoryBackend("a")], logger: TestLogs.silent)
            Issue.record("duplicate ids were accepted")
        } catch let error as DataPlaneError {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains("\"a\""))
        }
        do {
            _ = try LocalDataPlane(backends: [memoryBackend("a")], defaultBackendID: "b", logger: TestLogs.silent)
            Issue.record("an unknown default was accepted")
        } catch let error as DataPlaneError {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains("\"b\""))
        }
        for bad in ["", "a/b", "with space", String(repeating: "x", count: 65)] {
            #expect(throws: DataPlaneError.self, "backend id \(bad)") {
                try LocalDataPlane(backends: [memoryBackend(bad)], logger: TestLogs.silent)
            }
        }
        let dataPlane = try LocalDataPlane(
            backends: [memoryBackend("a"), memoryBackend("b")],
            defaultBackendID: "b",
            logger: TestLogs.silent
        )
        #expect(dataPlane.defaultBackendID == "b")
    }

    /// Objects go to `blobs/<algorithm>/ab/cd/<hex>`, temporaries under `tmp/ingest/`.
    @Test func layout() async throws {
        let name = "dataplane-layout-\(UUID().uuidString.lowercased())"
        defer { MemoryStoreRegistry.remove(name) }
        let dataPlane = try LocalDataPlane(backends: [.init(id: "m", connector: try MemoryConnector(name: name))], logger: TestLogs.silent)
        let result = try await dataPlane.ingest(ByteStream(ByteBuffer(string: "abc")))
        let hex = result.primaryDigest.hex
        let expectedKey = "blobs/blake3/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
        #expect(result.receipt.storageKey == expectedKey)
        #expect(try MemoryBackend(name: name).allItems().filter { !$0.hasSuffix("/") } == [expectedKey])
        #expect(LocalDataPlane.temporaryDirectory == "tmp/ingest")
    }

    /// A backend whose root is missing: operations fail with `backendUnavailable` naming it,
    /// health reports it, and the other backend keeps working.
    @Test func missingRoot() async throws {
        let missing = FileManager.default.temporaryDirectory.path + "/artifactstore-missing-\(UUID().uuidString.lowercased())"
        let name = "dataplane-missing-\(UUID().uuidString.lowercased())"
        defer { MemoryStoreRegistry.remove(name) }
        let dataPlane = try LocalDataPlane(
            backends: [
                .init(id: "mem", connector: try MemoryConnector(name: name)),
                .init(id: "disk", connector: try FileSystemConnector(rootPath: missing, logger: TestLogs.silent)),
            ],
            logger: TestLogs.silent
        )
        do {
            _ = try await dataPlane.ingest(ByteStream(ByteBuffer(string: "x")), hints: IngestHints(backendID: "disk"))
            Issue.record("ingest into a missing root succeeded")
        } catch {
            #expect(error.kind == .backendUnavailable)
            #expect(error.message.contains("\"disk\""))
            #expect((error.underlying as? StorageError)?.kind == .unreachable)
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        let statuses = await dataPlane.backendHealth()
        #expect(statuses.map(\.backendID) == ["mem", "disk"])
        #expect(statuses[0].isHealthy && statuses[0].isDefault)
        #expect(!statuses[1].reachable && !statuses[1].isDefault)
        #expect(statuses[1].message.contains(missing))
        #expect(try MemoryBackend(name: name).allItems().isEmpty)
    }

    /// With checking off, a whole read of a corrupted object is served as stored; verify still
    /// reports it.
    @Test func uncheckedFullReads() async throws {
        let subject = try Subjects.memory(configuration: .init(verifiesFullReads: false))
        let result = try await subject.dataPlane.ingest(ByteStream(ByteBuffer(repeating: 7, count: 1000)))
        try await subject.corruptByte(Subjects.defaultID, result.receipt.storageKey, 10)
        var served = 0
        for try await chunk in try await subject.dataPlane.serve(result.address) { served += chunk.readableBytes }
        #expect(served == 1000)
        #expect(try await subject.dataPlane.verify(result.address).verified == false)
        try await subject.tearDown()
    }

    /// Abandoned temporaries (a crash between writing and committing) are removed by whose they
    /// are and by age: this process's never, a dead writer's on this machine at once, anyone
    /// else's (another node's, or a name without a writer) only past the rule's age.
    @Test(.timeLimit(.minutes(5))) func abandonedTemporariesAreRemoved() async throws {
        let name = "dataplane-abandoned-\(UUID().uuidString.lowercased())"
        defer { MemoryStoreRegistry.remove(name) }
        let backend = try MemoryBackend(name: name)
        let here = StorageWriterIdentity.current
        // A process of this boot and pid namespace that has ended: pid 1 exists, but not with this start time.
        let dead = StorageWriterIdentity(boot: here.boot, pidNamespace: here.pidNamespace, pid: 1, startTime: 1)
        // Another node: a different boot, alive as far as anyone here can tell.
        let elsewhere = StorageWriterIdentity(
            boot: "ffffffffffffffff",
            pidNamespace: here.pidNamespace,
            pid: here.pid,
            startTime: here.startTime
        )
        let paths = [
            "mine": "tmp/ingest/\(here.token)_a", "dead": "tmp/ingest/\(dead.token)_b",
            "elsewhere": "tmp/ingest/\(elsewhere.token)_c", "unnamed": "tmp/ingest/left-behind",
        ]
        for path in paths.values { try await backend.write(try StoragePath(path), from: ByteStream(ByteBuffer(string: "x"))) }
        try await backend.write(try StoragePath("blobs/keep"), from: ByteStream(ByteBuffer(string: "y")))
        let dataPlane = try LocalDataPlane(backends: [.init(id: "m", connector: try MemoryConnector(name: name))], logger: TestLogs.silent)
        #expect(dead.isProvablyGone)
        #expect(!elsewhere.isProvablyGone)
        #expect(!here.isProvablyGone)
        // Fresh files: only the dead writer's goes.
        #expect(await dataPlane.removeAbandonedTemporaries(AbandonedTemporaryRule(minimumAge: .seconds(3600))) == 1)
        #expect(
            Set(backend.allItems().filter { !$0.hasSuffix("/") })
                == Set([paths["mine"]!, paths["elsewhere"]!, paths["unnamed"]!, "blobs/keep"])
        )
        // Past the age: every other writer's goes, never this process's, never a committed object.
        #expect(await dataPlane.removeAbandonedTemporaries(AbandonedTemporaryRule(minimumAge: .seconds(-1))) == 2)
        #expect(Set(backend.allItems().filter { !$0.hasSuffix("/") }) == Set([paths["mine"]!, "blobs/keep"]))
    }

    /// Writer tokens round-trip, and nothing else parses as one.
    @Test func writerTokens() {
        let here = StorageWriterIdentity.current
        #expect(StorageWriterIdentity(token: here.token) == here)
        #expect(here.pid == getpid())
        for bad in [
            "", "left-behind", "0123456789abcdef-1-2", "0123456789abcdeg-1-2-3", "0123456789abcdef-1-0-3", "0123456789abcdef-1-2-3-4",
        ] {
            #expect(StorageWriterIdentity(token: bad) == nil, "\(bad)")
        }
    }
}
