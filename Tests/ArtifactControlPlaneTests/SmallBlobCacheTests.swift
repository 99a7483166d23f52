import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

/// Small blobs served from memory after a proved whole read: hit, range, expiry, bound,
/// invalidation, tenancy, and never bytes that failed their proof.
@Suite("SmallBlobCache", .timeLimit(.minutes(10)))
struct SmallBlobCacheTests {
    let bytes = Array("small blob bytes, 0123456789".utf8)

    /// Replaces the stored object of `address` with `content` behind the data plane's back.
    func overwriteObject(_ h: Harness, with content: [UInt8]) async throws {
        let key = try #require(try h.storedObjects().first)
        try await MemoryBackend(name: h.memoryStoreName).write(
            try StoragePath(key),
            from: ByteStream(ByteBuffer(bytes: content)),
            options: StorageWriteOptions(overwrite: true)
        )
    }

    @Test("a whole read fills the cache; later reads and ranges come from memory until the lifetime ends")
    func hitRangeAndExpiry() async throws {
        try await Harness.run(.sqlite) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(bytes, into: "team")
            #expect(try await h.collect(try await h.registry.openBlob(namespace: "team", address: blob.address)) == bytes)
            #expect(h.controlPlane.caches.blobFacts.contents.count == 1)
            // The object now differs (same size): a hit still serves the proved bytes.
            try await overwriteObject(h, with: Array(repeating: 0x41, count: bytes.count))
            #expect(try await h.collect(try await h.registry.openBlob(namespace: "team", address: blob.address)) == bytes)
            let range = ByteRange(first: 6, last: 9)
            #expect(
                try await h.collect(try await h.registry.openBlob(namespace: "team", address: blob.address, range: range))
                    == Array(bytes[6...9])
            )
            // Expired: the data plane is asked again, and refuses the altered bytes.
            h.advance(by: ControlPlaneCaches.defaultLifetime.timeInterval)
            let error = await #expect(throws: ControlPlaneError.self) {
                _ = try await h.collect(try await h.registry.openBlob(namespace: "team", address: blob.address))
            }
            #expect(error?.kind == .dataPlane)
            #expect(h.controlPlane.caches.blobFacts.contents.count == 0)
        }
    }

    @Test("bytes that fail their proof are never cached")
    func unprovedNotCached() async throws {
        try await Harness.run(.sqlite) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(bytes, into: "team")
            try await overwriteObject(h, with: Array(repeating: 0x41, count: bytes.count))
            for _ in 0..<2 {
                let error = await #expect(throws: ControlPlaneError.self) {
                    _ = try await h.collect(try await h.registry.openBlob(namespace: "team", address: blob.address))
                }
                #expect((error?.underlying as? DataPlaneError)?.kind == .objectCorrupt)
                #expect(h.controlPlane.caches.blobFacts.contents.count == 0)
            }
        }
    }

    @Test("a range outside the blob is refused as before, and large blobs are not held")
    func outOfRangeAndLarge() async throws {
        try await Harness.run(.sqlite) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let small = try await h.ingest(bytes, into: "team")
            _ = try await h.collect(try await h.registry.openBlob(namespace: "team", address: small.address))
            let error = await #expect(throws: ControlPlaneError.self) {
                _ = try await h.collect(
                    try await h.registry.openBlob(namespace: "team", address: small.address, range: ByteRange(first: 5, last: 500))
                )
            }
            #expect(error?.kind == .dataPlane)
            let largeBytes = Array(repeating: UInt8(7), count: Int(h.controlPlane.caches.blobFacts.contents.maximumBlobSize) + 1)
            let large = try await h.ingest(largeBytes, into: "team")
            #expect(try await h.collect(try await h.registry.openBlob(namespace: "team", address: large.address)) == largeBytes)
            #expect(h.controlPlane.caches.blobFacts.contents.count == 1)
        }
    }

    @Test("bounded, dropped by invalidate(address:), and never read across namespaces")
    func boundInvalidationTenancy() async throws {
        try await Harness.run(.sqlite, configuration: ControlPlane.Configuration(cacheLifetime: .seconds(60), cacheCapacity: 32)) { h in
            for namespace in ["a", "b"] { _ = try await h.registry.createNamespace(namespace, context: h.context) }
            let contents = h.controlPlane.caches.blobFacts.contents
            var last: LinkedBlob?
            for index in 0..<5 {
                let blob = try await h.ingest(Array("blob \(index)".utf8), into: "b")
                _ = try await h.collect(try await h.registry.openBlob(namespace: "b", address: blob.address))
                #expect(contents.count <= contents.maximumEntries)
                last = blob
            }
            let blob = try #require(last)
            #expect(contents.maximumEntries == 2)
            let opened = await #expect(throws: ControlPlaneError.self) {
                try await h.registry.openBlob(namespace: "a", address: blob.address)
            }
            #expect(opened?.kind == .blobNotFound)
            h.controlPlane.caches.blobFacts.invalidate(address: blob.address)
            #expect(contents.count <= 1)
        }
    }
}
