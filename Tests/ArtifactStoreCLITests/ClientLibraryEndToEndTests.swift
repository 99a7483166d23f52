import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreClient
import AsyncHTTPClient
import Foundation
import Logging
import Testing

/// `ArtifactStoreClient` used as a library against the real server: the calls the CLI has no
/// command for (retention, holds list, blob download and verify, scrub) and typed errors.
@Suite("ArtifactStoreClient against a live server", .serialized, .timeLimit(.minutes(10)))
struct ClientLibraryEndToEndTests {
    @Test func retentionHoldsBlobsAndTypedErrors() async throws {
        let server = try ServerProcess()
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: ArtifactStoreClient.commandLineHTTPConfiguration)
        do {
            try await exercise(server, httpClient)
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }

    func exercise(_ server: ServerProcess, _ httpClient: HTTPClient) async throws {
        let client = ArtifactStoreClient(
            server: server.url,
            token: server.adminToken,
            httpClient: httpClient,
            logger: Logger(label: "test")
        )
        let work = try TemporaryDirectory()
        let first = try work.file("one.bin", contents: ClientEndToEndTests.bytes(70_000, seed: 1))
        let second = try work.file("two.bin", contents: ClientEndToEndTests.bytes(50_000, seed: 2))

        let v1 = try ArtifactReference(parsing: "keep/app:1")
        let v2 = try ArtifactReference(parsing: "keep/app:2")
        let pushed = try await client.push(LocalFileSet(collecting: [first]), as: v1)
        #expect(pushed.createdNamespace)
        _ = try await client.push(LocalFileSet(collecting: [second]), as: v2)
        #expect(try await client.whoami().grants.contains(.global(.admin)))

        // A blob by address: HEAD, download (verified), server-side verify.
        let version = try await client.version(v1)
        let file = try #require(version.files.first)
        #expect(try await client.blobExists(file.address.digest, in: "keep"))
        #expect(try await client.blobExists(file.address.digest, in: "other") == false)
        let target = work.url.appendingPathComponent("blob").path
        let result = try await client.download(
            .blob(namespace: "keep", digest: file.address.digest),
            address: file.address,
            size: file.size,
            to: target
        )
        #expect(result.size == 70_000)
        #expect(FileManager.default.contents(atPath: target) == FileManager.default.contents(atPath: first))
        #expect(try await client.verifyBlob(file.address.digest, in: "keep") != .null)
        #expect(try await client.scrub(limit: 10)["checked"] != nil)

        // Retention: keep the last version; the dry run changes nothing, a hold blocks.
        let policy = try await client.setRetentionPolicy(RetentionPolicy(namespace: "keep", name: "last", keepLast: 1, protectTagged: true))
        #expect(policy.keepLast == 1)
        #expect(try await client.retentionPolicies(in: "keep").map(\.name) == ["last"])
        let dryRun = try await client.evaluateRetention(in: "keep", dryRun: true)
        #expect(dryRun.deletions.map(\.version) == ["1"])
        #expect(try await client.versions(of: "app", in: "keep").count == 2)
        _ = try await client.hold(v1, reason: "audit")
        #expect(try await client.holds(in: "keep").map(\.version) == ["1"])
        let blocked = try await client.evaluateRetention(in: "keep", dryRun: false)
        #expect(blocked.deletions.isEmpty)
        #expect(blocked.blocked.map(\.version) == ["1"])
        try await client.release(v1)
        let applied = try await client.evaluateRetention(in: "keep", dryRun: false)
        #expect(applied.deletions.map(\.version) == ["1"])
        #expect(try await client.versions(of: "app", in: "keep").map(\.version) == ["2"])
        try await client.deleteRetentionPolicy("last", in: "keep")
        #expect(try await client.retentionPolicies(in: "keep").isEmpty)

        // An upload whose bytes are not the promised digest: refused, nothing stored (exit 6).
        let wrong = try Digest(parsing: "blake3:" + String(repeating: "ab", count: 32))
        let mismatch = await #expect(throws: ClientError.self) {
            try await client.uploadBlob(fromFile: first, expected: wrong, size: 70_000, into: "keep")
        }
        #expect(mismatch?.code == "digestMismatch")
        #expect(mismatch?.status == 400)
        #expect(mismatch.map(ClientExitStatus.init(for:)) == .integrity)
        #expect(try await client.blobExists(wrong, in: "keep") == false)
        // A token id that tries to climb the path is refused by the server, not resolved.
        let climb = await #expect(throws: ClientError.self) { try await client.revokeToken(id: "..") }
        #expect(climb?.status == 400 || climb?.status == 404)
        #expect(try await client.tokens().allSatisfy { $0.revokedAt == nil })

        // Errors carry the server's code and status.
        let missing = await #expect(throws: ClientError.self) { try await client.version(v1) }
        #expect(missing?.code == "versionNotFound")
        #expect(missing?.status == 404)
        let conflict = await #expect(throws: ClientError.self) { try await client.createNamespace("keep") }
        #expect(conflict?.code == "namespaceExists")
        #expect(conflict.map(ClientExitStatus.init(for:)) == .conflict)
        let anonymous = ArtifactStoreClient(server: server.url, token: nil, httpClient: httpClient, logger: Logger(label: "test"))
        let refused = await #expect(throws: ClientError.self) { try await anonymous.namespaces() }
        #expect(refused?.status == 401)
        #expect(refused?.code == "unauthenticated")
    }
}
