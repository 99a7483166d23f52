import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneLocal
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactDataPlaneWire
import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

/// The inventory operations (docs/dataplane-protocol.md, "Inventory"): through the daemon, a
/// server lists and probes the backends exactly as the daemon's own data plane answers, so
/// reconciliation works with `serve --data-plane unix://…` (ReconcilerTests runs the reconciler
/// itself both ways).
@Suite("Remote inventory", .timeLimit(.minutes(10)))
struct RemoteInventoryTests {
    /// More than 1 MiB: stored with an outboard.
    static let large = (0..<1_300_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }

    @Test("listing, probing and removing an outboard through the daemon answer what the local data plane answers")
    func answersAsLocal() async throws {
        let subject = try Subjects.memory()
        let local = try #require(subject.dataPlane as? LocalDataPlane)
        let harness = try await DaemonHarness(serving: local)
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        let big = try await remote.ingest(ByteStream(ByteBuffer(bytes: Self.large))).address
        var small: [ContentAddress] = []
        for index in 0..<5 { small.append(try await remote.ingest(ByteStream(ByteBuffer(string: "object \(index)"))).address) }

        #expect(try await remote.inventoryBackendIDs() == [Subjects.defaultID, Subjects.otherID])
        // Pages of two, followed by their cursors, give what one local listing gives.
        var listed: [StoredObject] = []
        var cursor: String?
        repeat {
            let page = try await remote.storedObjects(.object, backendID: Subjects.defaultID, cursor: cursor, limit: 2)
            #expect(page.objects.count <= 2)
            listed += page.objects
            cursor = page.nextCursor
        } while cursor != nil
        let whole = try await local.storedObjects(.object, backendID: Subjects.defaultID, cursor: nil, limit: 1000)
        #expect(Self.same(listed, whole.objects) && listed.count == 6)
        #expect(Set(listed.compactMap(\.address)) == Set(small + [big]))
        #expect(listed.allSatisfy { $0.modified != nil && $0.backendID == Subjects.defaultID })
        // A limit beyond the protocol's page is asked as the largest page, not refused.
        let clamped = try await remote.storedObjects(.object, backendID: Subjects.defaultID, cursor: nil, limit: 100_000)
        #expect(Self.same(clamped.objects, whole.objects))
        let outboards = try await remote.storedObjects(.outboard, backendID: Subjects.defaultID, cursor: nil, limit: 10)
        #expect(outboards.objects.map(\.address) == [big])

        #expect(try await remote.contains(big, backendID: Subjects.defaultID))
        #expect(!(try await remote.contains(big, backendID: Subjects.otherID)))
        #expect(try await remote.deleteOutboard(of: big, backendID: Subjects.defaultID))
        #expect(!(try await remote.deleteOutboard(of: big, backendID: Subjects.defaultID)))
        #expect(try await remote.contains(big, backendID: Subjects.defaultID))  // the object stays
        #expect(try await remote.storedObjects(.outboard, backendID: Subjects.defaultID, cursor: nil, limit: 10).objects.isEmpty)

        // Failures arrive typed, and the connection stays usable.
        await #expect(throws: DataPlaneError.self) {
            _ = try await remote.storedObjects(.object, backendID: "nowhere", cursor: nil, limit: 10)
        }
        do {
            _ = try await remote.contains(big, backendID: "nowhere")
            Issue.record("an unknown backend was probed")
        } catch {
            #expect(error.kind == .unknownBackend)
        }
        #expect(try await remote.verify(big).verified)
        remote.shutdown()
        try await harness.stop()
        try await subject.tearDown()
    }

    /// Equal entries, their dates to the millisecond (a CBOR date carries epoch seconds as a float).
    static func same(_ a: [StoredObject], _ b: [StoredObject]) -> Bool {
        func rounded(_ objects: [StoredObject]) -> [StoredObject] {
            objects.map { object in
                var object = object
                object.modified = object.modified.map { Date(timeIntervalSince1970: ($0.timeIntervalSince1970 * 1000).rounded() / 1000) }
                return object
            }
        }
        return rounded(a) == rounded(b)
    }

    @Test("a daemon whose data plane cannot list refuses the inventory operations with invalidConfiguration")
    func unlistableDataPlane() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: Unlisted(base: subject.dataPlane))
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        do {
            _ = try await remote.inventoryBackendIDs()
            Issue.record("a data plane that cannot list was listed")
        } catch {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains("inventoryBackends"))
        }
        #expect(try await remote.backendHealth().count == 2)
        remote.shutdown()
        try await harness.stop()
        try await subject.tearDown()
    }

    @Test("a listObjects page outside 1 to 256 entries is a malformed frame; a valid one round-trips", arguments: [0, 257, 100_000])
    func pageLimits(limit: UInt64) throws {
        let address = ContentAddress(Digest.blake3(of: Array("x".utf8)))
        let bad = try WireRequest.listObjects(.object, backendID: "primary", cursor: nil, limit: limit).frame(call: 3)
        #expect(#expect(throws: DataPlaneWireError.self) { try WireRequest(frame: bad) }?.kind == .malformedFrame)
        for request in [
            WireRequest.listObjects(.outboard, backendID: "primary", cursor: "blobs/x", limit: 256), .inventoryBackends,
            .containsObject(address, backendID: "b"), .deleteOutboard(address, backendID: "b"),
        ] {
            #expect(try WireRequest(frame: request.frame(call: 4)) == request)
        }
    }
}

/// A data plane that serves but cannot list (not a `StoredObjectInventory`).
private struct Unlisted: WrappingDataPlane {
    let base: any DataPlane
}
