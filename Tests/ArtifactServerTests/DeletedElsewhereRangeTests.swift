import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreTestSupport
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import ArtifactServer

/// A blob another process deleted is not found, through `/v1` and `/v2`, whatever the range and
/// whatever this process still holds: a cached blob fact (the deletion's event not yet heard)
/// and a proof kept for the object (``ProvedOutboardCache``) answer neither a range refusal nor
/// a byte.
@Suite("Ranges of a blob deleted by another process", .timeLimit(.minutes(5)))
struct DeletedElsewhereRangeTests {
    /// What a request asks of the deleted blob, beside the blob's size.
    enum Asked: String, CaseIterable, Sendable {
        case within, straddlingTheEnd, pastTheEnd, suffix

        func range(size: Int) -> String {
            switch self {
            case .within: "100000-300000"
            case .straddlingTheEnd: "\(size - 100)-\(size + 100)"
            case .pastTheEnd: "\(size + 1000)-\(size + 5000)"
            case .suffix: "-10"
            }
        }
    }

    @Test(
        "a blob deleted by another process is 404 for ranges within, across and past its end, on /v1 and /v2",
        arguments: TestDatabase.allCases,
        ["/v1", "/v2"]
    )
    func deletedElsewhere(database: TestDatabase, api: String) async throws {
        for asked in Asked.allCases {
            try await deletedElsewhere(database: database, api: api, asked: asked)
        }
    }

    /// One request, `asked` of `api`, to a second process that cached the blob's fact and kept
    /// its proof, after the first deleted it: each request on a fresh pair of processes, as the
    /// first failed open drops every cached fact about the blob.
    func deletedElsewhere(database: TestDatabase, api: String, asked: Asked, test: String = #function) async throws {
        try await ServerHarness.run(database, test: test + asked.rawValue) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let bytes = FileRegionDownloadTests.randomBytes(3 * 1024 * 1024 + 5)
            let blob = try await harness.controlPlane.registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: bytes)),
                context: RequestContext(actor: "t")
            )
            let sha256 = "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            let path = api == "/v1" ? "/v1/namespaces/team/blobs/\(blob.address)" : "/v2/team/app/blobs/\(sha256)"
            let size = bytes.count
            try await harness.withSecondProcess { second in
                try await second.withClient { client in
                    func get(_ range: String) async throws -> (HTTPResponse.Status, ByteBuffer) {
                        try await client.execute(
                            uri: path,
                            method: .get,
                            headers: [.authorization: "Bearer \(harness.adminToken)", .range: "bytes=\(range)"]
                        ) { ($0.status, $0.body) }
                    }
                    // Warm: the second process caches the blob's facts and keeps its proof.
                    let (status, body) = try await get("100000-300000")
                    #expect(status == .partialContent && Array(body.readableBytesView) == Array(bytes[100_000...300_000]))
                    #expect(try await get("\(size)-\(size + 10)").0 == .rangeNotSatisfiable, "stored, past its end")
                    #expect(second.controlPlane.caches.blobFacts.count > 0)

                    // The first process deletes the blob: its rows, then its bytes through its own
                    // data plane. Behind the second's back (no change event), as in the moments
                    // before the second hears of a collection made elsewhere.
                    let address = blob.address.description
                    try await harness.controlPlane.store.transaction { db in
                        try await db.raw("DELETE FROM links WHERE address = \(bind: address)").run()
                        try await db.raw("DELETE FROM blobs WHERE address = \(bind: address)").run()
                    }
                    #expect(try await harness.controlPlane.dataPlane.delete(blob.address, backendID: "default").removed)
                    if database == .postgres {
                        // SQLite's poller may have emptied the caches by now; PostgreSQL has sent nothing.
                        #expect(second.controlPlane.caches.blobFacts.count > 0, "the second process still holds the fact")
                    }
                    let (gone, answer) = try await get(asked.range(size: size))
                    #expect(gone == .notFound, "\(path) bytes=\(asked.range(size: size))")
                    let text = String(buffer: answer)
                    #expect(text.contains(api == "/v2" ? "BLOB_UNKNOWN" : "blobNotFound"), "\(asked): \(text)")
                }
            }
        }
    }
}
