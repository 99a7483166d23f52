import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactMetadata
import ArtifactOCI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import Testing

/// Sessions whose `PATCH`es are appended to one stage of the data plane and hashed as they
/// arrive: the failure paths (out of order, a wrong digest at the close), a resume after a restart
/// or on another node (which re-hashes what is staged), and the removal of abandoned stages.
@Suite("OCI staged upload sessions", .timeLimit(.minutes(10)))
struct OCIStagedUploadTests {
    typealias Support = OCIUploadSessionTests
    static let context = Support.context
    static let repository = Support.repository

    /// The stage file of session `id` under the data directory.
    static func stagePath(_ directory: String, _ id: String) -> String {
        directory + "/blobs/" + LocalDataPlane.stagedDirectory + "/oci-upload-" + id
    }

    static func stagedSize(_ directory: String, _ id: String) -> UInt64? {
        (try? FileManager.default.attributesOfItem(atPath: stagePath(directory, id)))?[.size].map { ($0 as! NSNumber).uint64Value }
    }

    static func count(_ controlPlane: ControlPlane, _ table: String) async throws -> Int64 {
        try await controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int64.self) ?? -1
        }
    }

    static func read(_ oci: OCIRegistry, _ blob: LinkedBlob) async throws -> [UInt8] {
        var read: [UInt8] = []
        for try await buffer in try await oci.openBlob(repository, blob, range: nil) { read += Array(buffer.readableBytesView) }
        return read
    }

    @Test(
        "out of order: 416 naming the bytes held, before the body is read; nothing is staged or recorded",
        arguments: TestDatabase.allCases
    )
    func outOfOrder(database: TestDatabase) async throws {
        try await Support.withStore(database) { directory, location in
            try await Support.withOpen(directory, location) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let content = Support.bytes(30_000, seed: 3)
                let session = try await oci.startUpload(Self.repository, context: Self.context)
                _ = try await oci.appendChunk(
                    Self.repository,
                    id: session.id,
                    start: 0,
                    body: Support.stream(content[..<10_000]),
                    size: 10_000,
                    context: Self.context
                )
                #expect(Self.stagedSize(directory, session.id) == 10_000)
                for start: UInt64 in [5_000, 20_000] {
                    await #expect {
                        try await oci.appendChunk(
                            Self.repository,
                            id: session.id,
                            start: start,
                            body: Support.stream(content[20_000...]),
                            size: 10_000,
                            context: Self.context
                        )
                    } throws: { ($0 as? OCIError)?.kind == .rangeInvalid && ($0 as? OCIError)?.receivedBytes == 10_000 }
                }
                #expect(Self.stagedSize(directory, session.id) == 10_000)
                #expect(try await oci.upload(Self.repository, id: session.id).offset == 10_000)
                #expect(try await Self.count(controlPlane, "oci_upload_chunks") == 0)
                #expect(try await Self.count(controlPlane, "blobs") == 0)
                // A body shorter than its Content-Length is not acknowledged either.
                await #expect {
                    try await oci.appendChunk(
                        Self.repository,
                        id: session.id,
                        start: 10_000,
                        body: Support.stream(content[10_000..<15_000]),
                        size: 10_000,
                        context: Self.context
                    )
                } throws: { ($0 as? OCIError)?.kind == .sizeInvalid }
                #expect(try await oci.upload(Self.repository, id: session.id).offset == 10_000)
            }
        }
    }

    @Test(
        "a wrong digest at the close stores nothing and keeps the session; the right one then links the blob",
        arguments: TestDatabase.allCases
    )
    func wrongDigestKeepsSession(database: TestDatabase) async throws {
        try await Support.withStore(database) { directory, location in
            try await Support.withOpen(directory, location) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let content = Support.bytes(40_000, seed: 4)
                let session = try await oci.startUpload(Self.repository, context: Self.context)
                _ = try await oci.appendChunk(
                    Self.repository,
                    id: session.id,
                    start: 0,
                    body: Support.stream(content[..<25_000]),
                    size: 25_000,
                    context: Self.context
                )
                let wrong = try Support.sha256(Support.bytes(40_000, seed: 5))
                await #expect {
                    try await oci.finishUpload(
                        Self.repository,
                        id: session.id,
                        digest: .sha256(wrong),
                        finalBody: Support.stream(content[25_000...]),
                        finalSize: 15_000,
                        context: Self.context
                    )
                } throws: { ($0 as? OCIError)?.kind == .digestInvalid }
                #expect(try await Self.count(controlPlane, "blobs") == 0)
                #expect(try await Self.count(controlPlane, "links") == 0)
                #expect(try await oci.upload(Self.repository, id: session.id).offset == 25_000)
                let blob = try await oci.finishUpload(
                    Self.repository,
                    id: session.id,
                    digest: .sha256(try Support.sha256(content)),
                    finalBody: Support.stream(content[25_000...]),
                    finalSize: 15_000,
                    context: Self.context
                )
                #expect(try await Self.read(oci, blob) == content)
                #expect(Self.stagedSize(directory, session.id) == nil)
            }
        }
    }

    /// Two processes over one database and backend: each re-hashes the staged prefix where its
    /// digests are missing or stale, and the close on either gives the right blob.
    @Test("a session PATCHed on two nodes in turn re-hashes what is staged and closes right", arguments: TestDatabase.allCases)
    func anotherNode(database: TestDatabase) async throws {
        try await Support.withStore(database) { directory, location in
            try await Support.withOpen(directory, location) { nodeA in
                try await Support.withOpen(directory, location) { nodeB in
                    _ = try await nodeA.registry.createNamespace("team", context: Self.context)
                    let a = OCIRegistry(controlPlane: nodeA)
                    let b = OCIRegistry(controlPlane: nodeB)
                    let content = Support.bytes(3 * 70_000, seed: 6)
                    let session = try await a.startUpload(Self.repository, context: Self.context)
                    for (index, node) in [a, b, a].enumerated() {
                        let piece = content[(index * 70_000)..<((index + 1) * 70_000)]
                        let updated = try await node.appendChunk(
                            Self.repository,
                            id: session.id,
                            start: nil,
                            body: Support.stream(piece),
                            size: 70_000,
                            context: Self.context
                        )
                        #expect(updated.offset == UInt64((index + 1) * 70_000))
                    }
                    let blob = try await b.finishUpload(
                        Self.repository,
                        id: session.id,
                        digest: .sha256(try Support.sha256(content)),
                        finalBody: nil,
                        finalSize: nil,
                        context: Self.context
                    )
                    #expect(blob.size == UInt64(content.count))
                    #expect(try await Self.read(a, blob) == content)
                    #expect(try await nodeA.dataPlane.verify(blob.address).verified)
                }
            }
        }
    }

    @Test(
        "an abandoned session's stage is removed when the session expires, and a cancelled one's at once",
        arguments: TestDatabase.allCases
    )
    func abandonedStagesRemoved(database: TestDatabase) async throws {
        try await Support.withStore(database) { directory, location in
            let clock = Support.TestClock()
            try await Support.withOpen(directory, location, clock: clock) { controlPlane in
                _ = try await controlPlane.registry.createNamespace("team", context: Self.context)
                let oci = OCIRegistry(controlPlane: controlPlane)
                let abandoned = try await oci.startUpload(Self.repository, context: Self.context)
                let cancelled = try await oci.startUpload(Self.repository, context: Self.context)
                for session in [abandoned, cancelled] {
                    _ = try await oci.appendChunk(
                        Self.repository,
                        id: session.id,
                        start: 0,
                        body: Support.stream(Support.bytes(8_000, seed: 7)),
                        size: 8_000,
                        context: Self.context
                    )
                    #expect(Self.stagedSize(directory, session.id) == 8_000)
                }
                try await oci.cancelUpload(Self.repository, id: cancelled.id, context: Self.context)
                #expect(Self.stagedSize(directory, cancelled.id) == nil)

                clock.advance(3600)
                let store = OCIStore(registry: controlPlane.registry)
                #expect(try await store.expireUploads(startedBefore: clock.closure().addingTimeInterval(-60)) == 1)
                #expect(Self.stagedSize(directory, abandoned.id) == nil)
                await #expect { try await oci.upload(Self.repository, id: abandoned.id) } throws: {
                    ($0 as? OCIError)?.kind == .blobUploadUnknown
                }
                #expect(try await Self.count(controlPlane, "blobs") == 0)
            }
        }
    }
}
