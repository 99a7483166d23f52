import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import SQLKit
import Testing

@testable import ArtifactControlPlane

/// The read path's prepared statements (``PreparedRead``): on an SQLite file each reader keeps
/// the statement it prepared; on PostgreSQL the same text runs as any statement. Both must answer
/// what the same text answers through sql-kit, see every commit made after the statement was
/// prepared, and refuse to write.
@Suite("Prepared reads", .serialized, .timeLimit(.minutes(5)))
struct PreparedReadTests {
    static let sizeRead = PreparedRead(
        "SELECT b.address, b.size FROM blobs b WHERE b.address = ?",
        columns: [.text("address"), .integer("size")]
    )

    @Test("a prepared read answers as sql-kit does, and a kept statement sees every later commit", arguments: TestDatabase.allCases)
    func answersAndSeesCommits(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let first = try await h.ingest(Array("first".utf8), into: "team")
            let store = h.controlPlane.store
            let rows = try await store.rows(of: Registry.blobByAddress, binding: [.text("team"), .text(first.address.description)])
            #expect(rows.count == 1)
            #expect(rows.first?.text(0) == first.address.description)
            #expect(rows.first?.integer(2) == 5)
            #expect(rows.first?.text(3) == first.sha256.description)
            // The same text through sql-kit.
            let viaSQLKit = try await store.read { db in
                try await db.raw(Registry.blobByAddress.queryString(binding: [.text("team"), .text(first.address.description)])).all()
                    .map { try PreparedRow($0, columns: Registry.blobByAddress.columns) }
            }
            #expect(viaSQLKit == rows)
            // Every reader has now prepared it at most once; blobs committed since are seen by
            // each, whichever reader answers (more reads than readers).
            for index in 0..<12 {
                let blob = try await h.ingest(Array("later \(index)".utf8), into: "team")
                let found = try await store.rows(of: Registry.blobByAddress, binding: [.text("team"), .text(blob.address.description)])
                #expect(found.first?.text(0) == blob.address.description, "commit \(index) not seen")
                let bySHA = try await store.rows(of: Registry.blobBySHA256, binding: [.text(blob.sha256.description), .text("team")])
                #expect(bySHA.first?.text(0) == blob.address.description)
            }
            // Kept statements run as prepared: new values bound each time make SQLite prepare
            // none of them again.
            if let counts = store.reprepareCounts(of: Registry.blobByAddress) {
                #expect(!counts.isEmpty)
                #expect(counts.allSatisfy { $0 == 0 }, "blob by address reprepared: \(counts)")
            }
            if let counts = store.reprepareCounts(of: Registry.blobBySHA256) {
                #expect(counts.allSatisfy { $0 == 0 }, "blob by SHA-256 reprepared: \(counts)")
            }
            // Another namespace sees nothing, and a missing row is no row.
            _ = try await h.registry.createNamespace("other", context: h.context)
            #expect(try await store.rows(of: Registry.blobByAddress, binding: [.text("other"), .text(first.address.description)]).isEmpty)
            let missing = try await store.rows(of: Self.sizeRead, binding: [.text("blake3:" + String(repeating: "0", count: 64))])
            #expect(missing.isEmpty)
        }
    }

    @Test("an opened control plane has the blob lookups prepared on every SQLite reader before its first read")
    func preparedAtOpen() async throws {
        try await Harness.run(.sqlite) { h in
            let store = h.controlPlane.store
            // No read has run: the kept statements were prepared when the control plane opened.
            for read in Registry.preparedReads {
                let counts = try #require(store.reprepareCounts(of: read), "the harness's SQLite file has readers")
                #expect(counts.count >= 2, "kept on \(counts.count) readers; the pool has at least 2")
                #expect(counts.allSatisfy { $0 == 0 })
            }
            // And they answer.
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Array("first".utf8), into: "team")
            let rows = try await store.rows(of: Registry.blobBySHA256, binding: [.text(blob.sha256.description), .text("team")])
            #expect(rows.first?.text(0) == blob.address.description)
        }
    }

    @Test(
        "a prepared read that would write fails on SQLite and changes nothing; a malformed one fails and the reader goes on",
        arguments: TestDatabase.allCases
    )
    func refusesWrites(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let store = h.controlPlane.store
            if database == .sqlite {
                // The SQLite readers are query_only. (On PostgreSQL a read runs on a pool
                // connection that may write: PreparedRead's texts are reads by construction.)
                let delete = PreparedRead("DELETE FROM namespaces WHERE name = ?", columns: [])
                await #expect(throws: (any Error).self) {
                    _ = try await store.rows(of: delete, binding: [.text("team")])
                }
                #expect(try await h.registry.namespace("team").name == "team")
            }
            let malformed = PreparedRead("SELECT nothing FROM nowhere WHERE x = ?", columns: [.text("nothing")])
            await #expect(throws: (any Error).self) {
                _ = try await store.rows(of: malformed, binding: [.text("x")])
            }
            // The reader still answers afterwards.
            let blob = try await h.ingest(Array("after".utf8), into: "team")
            #expect(try await store.rows(of: Self.sizeRead, binding: [.text(blob.address.description)]).first?.integer(1) == 5)
        }
    }

    @Test("a blob read through the registry finds, refuses and names a missing namespace as before", arguments: TestDatabase.allCases)
    func registryLookups(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Array("bytes".utf8), into: "team")
            #expect(try await h.registry.blob(namespace: "team", digest: blob.sha256).address == blob.address)
            #expect(try await h.registry.blob(namespace: "team", address: blob.address).sha256 == blob.sha256)
            await #expect(throws: ControlPlaneError.self) {
                _ = try await h.registry.blob(namespace: "team", digest: Digest.sha256(of: Array("nope".utf8)))
            }
            do throws(ControlPlaneError) {
                _ = try await h.registry.blob(namespace: "ghost", address: blob.address)
                Issue.record("a missing namespace answered")
            } catch {
                #expect(error.kind == .namespaceNotFound)
            }
            do throws(ControlPlaneError) {
                _ = try await h.registry.blob(namespace: "team", digest: Digest.sha256(of: Array("nope".utf8)))
                Issue.record("a missing blob answered")
            } catch {
                #expect(error.kind == .blobNotFound)
            }
        }
    }
}
