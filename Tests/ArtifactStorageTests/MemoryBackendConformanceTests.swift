import ArtifactStorage
import ArtifactStorageConformance
import ArtifactStoreCore
import Foundation
import NIOCore
import Testing

/// The memory backend runs the whole conformance suite, each check as its own test.
@Suite("MemoryBackend conformance", .timeLimit(.minutes(5)))
struct MemoryBackendConformanceTests {
    /// A fresh named store per check; the "outside" is a second named store holding a sentinel
    /// that no path given to the first may ever reach.
    static func makeSubject() async throws -> StorageConformanceSubject {
        let name = "conformance-" + UUID().uuidString
        let backend = try MemoryBackend(name: name)
        let outside = try MemoryBackend(name: name + "-outside")
        try await outside.write(try StoragePath("sentinel.txt"), from: ByteStreamFixtures.text("do not touch"))
        let sentinelInfo = try await outside.stat(try StoragePath("sentinel.txt"))
        _ = sentinelInfo
        return StorageConformanceSubject(
            backend: backend,
            rawItems: { backend.allItems() },
            outsideSnapshot: {
                var snapshot: [String: String] = [:]
                for item in outside.allItems() {
                    if item.hasSuffix("/") {
                        snapshot[item] = "directory"
                    } else {
                        let path = try StoragePath(item)
                        let info = try await outside.stat(path)
                        var bytes: [UInt8] = []
                        for try await chunk in try await outside.read(path) { bytes += chunk.readableBytesView }
                        snapshot[item] = "\(info.size) \(info.modified.timeIntervalSince1970) \(bytes)"
                    }
                }
                return snapshot
            },
            tearDown: {
                MemoryStoreRegistry.remove(name)
                MemoryStoreRegistry.remove(name + "-outside")
            }
        )
    }

    @Test(arguments: StorageBackendConformance.Check.allCases)
    func conformance(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance(makeSubject: Self.makeSubject).run(check)
    }

    @Test func namedStoresAreShared() async throws {
        let name = "shared-" + UUID().uuidString
        defer { MemoryStoreRegistry.remove(name) }
        let first = try await MemoryConnector(name: name).connect()
        let second = try await MemoryConnector(name: name).connect()
        try await first.write(try StoragePath("a/b"), from: ByteStreamFixtures.text("shared"))
        #expect(try await second.exists(try StoragePath("a/b")))
        let private1 = MemoryBackend()
        #expect(try await private1.exists(try StoragePath("a/b")) == false)
    }

    @Test func badStoreNamesAreRefused() {
        for name in ["", "a/b", "with space", String(repeating: "x", count: 129), "ü"] {
            #expect(throws: StorageError.self) { try MemoryConnector(name: name) }
            do { _ = try MemoryConnector(name: name) } catch { #expect(error.kind == .invalidConfiguration) }
        }
    }

    @Test func verifyAccessAppliesModeAndOwner() async throws {
        let name = "probe-" + UUID().uuidString
        defer { MemoryStoreRegistry.remove(name) }
        let connector = try MemoryConnector(name: name)
        try await connector.verifyConnection()
        try await connector.verifyAccess(user: nil, permissions: nil)
        try await connector.verifyAccess(user: "nobody", permissions: 0o640)
        let error = await #expect(throws: StorageError.self) {
            try await connector.verifyAccess(user: "no-such-user-xyz", permissions: nil)
        }
        #expect(error?.kind == .invalidConfiguration)
        let modeError = await #expect(throws: StorageError.self) { try await connector.verifyAccess(user: nil, permissions: 0o17777) }
        #expect(modeError?.kind == .invalidConfiguration)
        #expect(try MemoryBackend(name: name).allItems().isEmpty)
    }
}
