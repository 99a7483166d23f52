import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArtifactServer

/// Ranges of damaged objects through `/v1` blobs, `/v1` files and `/v2` blobs: damage in the
/// range's first group is a 500 `objectCorrupt` before any byte, damage further on cuts the
/// connection before the damaged group, damage outside the range's groups leaves it intact;
/// an object of one buffer is proved before its status line. No unproved byte is ever sent.
@Suite("Proved range downloads", .timeLimit(.minutes(10)))
struct ProvedRangeDownloadTests {
    static func flip(_ path: String, at offset: UInt64) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte[byte.startIndex] ^ 0x01]))
    }

    /// The three download paths of the blob of `bytes` at `address`, published as file `f.bin`
    /// of `app` version `name`.
    static func paths(
        _ harness: ServerHarness,
        _ client: some TestClientProtocol,
        address: ContentAddress,
        bytes: [UInt8],
        version: String
    )
        async throws -> [String]
    {
        let manifest = #"{"files":[{"path":"f.bin","address":"\#(address)"}]}"#
        let (headers, body) = TestRequest.json(harness.adminToken, manifest)
        try await client.execute(uri: "/v1/namespaces/team/artifacts/app/versions/\(version)", method: .put, headers: headers, body: body) {
            response in
            #expect(response.status == .created)
        }
        let sha256 = "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return [
            "/v1/namespaces/team/blobs/\(address)", "/v1/namespaces/team/artifacts/app/versions/\(version)/files/f.bin",
            "/v2/team/app/blobs/\(sha256)",
        ]
    }

    @Test("a range answers its proved bytes, an error status, or a cut before damage, on /v1 blobs, /v1 files and /v2 blobs")
    func damagedRanges() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let bytes = FileRegionDownloadTests.randomBytes(3 * 1024 * 1024 + 5)
            let blob = try await harness.controlPlane.registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: bytes)),
                context: RequestContext(actor: "t")
            )
            let auth = "Authorization: Bearer \(harness.adminToken)"
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let paths = try await Self.paths(harness, client, address: blob.address, bytes: bytes, version: "1")
                func get(_ path: String, _ first: Int, _ last: Int) async throws -> FileRegionDownloadTests.RawResponse {
                    try await FileRegionDownloadTests.rawGet(port: port, path: path, headers: [auth, "Range: bytes=\(first)-\(last)"])
                }
                let files = harness.storedFiles()
                let object = try #require(files.first { $0.hasPrefix("blobs/blake3/") })
                let outboard = try #require(files.first { $0.hasPrefix("outboards/") }, "the ingest stored an outboard")

                // A damaged outboard is rebuilt from the intact object: the range is served.
                try Self.flip(harness.blobsDirectory + "/" + outboard, at: 16 + 32 * 100)
                for path in paths {
                    let clean = try await get(path, 1_999_000, 2_100_000)
                    #expect(clean.head.hasPrefix("HTTP/1.1 206"), "\(path)")
                    #expect(clean.body == Array(bytes[1_999_000...2_100_000]), "\(path)")
                }

                try Self.flip(harness.blobsDirectory + "/" + object, at: 2_000_000)
                let damagedGroup = 2_000_000 / 16384 * 16384
                for path in paths {
                    let before = try await get(path, 1000, 50_000)
                    #expect(
                        before.head.hasPrefix("HTTP/1.1 206") && before.body == Array(bytes[1000...50_000]),
                        "\(path): damage after the range"
                    )
                    let after = try await get(path, 2_500_000, 2_600_000)
                    #expect(after.head.hasPrefix("HTTP/1.1 206") && after.body == Array(bytes[2_500_000...2_600_000]), "\(path)")

                    let first = try await get(path, 1_999_000, 2_100_000)
                    #expect(first.head.hasPrefix("HTTP/1.1 500"), "\(path): damage in the first group is an error status")
                    #expect(String(decoding: first.body, as: UTF8.self).contains("\"objectCorrupt\""), "\(path)")

                    let later = try await get(path, 1_900_000, 2_100_000)
                    #expect(later.head.hasPrefix("HTTP/1.1 206"), "\(path)")
                    #expect(later.body.count <= damagedGroup - 1_900_000, "\(path): the connection is cut before the damaged group")
                    #expect(later.body == Array(bytes[1_900_000..<(1_900_000 + later.body.count)]), "\(path): every byte sent is proved")
                }
            }
        }
    }

    @Test("a damaged object of one buffer is a 500 objectCorrupt, whole and ranged, on /v1 and /v2")
    func damagedSmallObject() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let bytes = FileRegionDownloadTests.randomBytes(4096)
            let blob = try await harness.controlPlane.registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: bytes)),
                context: RequestContext(actor: "t")
            )
            let auth = "Authorization: Bearer \(harness.adminToken)"
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let paths = try await Self.paths(harness, client, address: blob.address, bytes: bytes, version: "1")
                let object = try #require(harness.storedFiles().first { $0.hasPrefix("blobs/blake3/") })
                try Self.flip(harness.blobsDirectory + "/" + object, at: 4000)
                for path in paths {
                    for range in [[], ["Range: bytes=0-99"]] {
                        let response = try await FileRegionDownloadTests.rawGet(port: port, path: path, headers: [auth] + range)
                        #expect(response.head.hasPrefix("HTTP/1.1 500"), "\(path) \(range)")
                        #expect(String(decoding: response.body, as: UTF8.self).contains("\"objectCorrupt\""), "\(path) \(range)")
                    }
                }
            }
        }
    }

    @Test("a re-push of a damaged blob repairs it, is counted in /metrics and audited; it then reads whole and ranged")
    func repushRepairs() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let bytes = FileRegionDownloadTests.randomBytes(2 * 1024 * 1024 + 3)
            let auth = "Authorization: Bearer \(harness.adminToken)"
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                func push() async throws -> [String: Any] {
                    try await client.execute(
                        uri: "/v1/namespaces/team/blobs",
                        method: .post,
                        headers: TestRequest.bearer(harness.adminToken),
                        body: ByteBuffer(bytes: bytes)
                    ) { response in try response.json() }
                }
                let address = try #require(try await push()["address"] as? String)
                let object = try #require(harness.storedFiles().first { $0.hasPrefix("blobs/blake3/") })
                try Self.flip(harness.blobsDirectory + "/" + object, at: 1_000_000)
                let path = "/v1/namespaces/team/blobs/\(address)"
                let damaged = try await FileRegionDownloadTests.rawGet(
                    port: port,
                    path: path,
                    headers: [auth, "Range: bytes=999500-1100000"]
                )
                #expect(damaged.head.hasPrefix("HTTP/1.1 500"))

                _ = try await push()
                #expect(harness.api.metrics.counterValue("artifactstore_repaired_objects_total") == 1)
                let whole = try await FileRegionDownloadTests.rawGet(port: port, path: path, headers: [auth])
                #expect(whole.head.hasPrefix("HTTP/1.1 200") && whole.body == bytes)
                let ranged = try await FileRegionDownloadTests.rawGet(
                    port: port,
                    path: path,
                    headers: [auth, "Range: bytes=999500-1100000"]
                )
                #expect(ranged.head.hasPrefix("HTTP/1.1 206") && ranged.body == Array(bytes[999_500...1_100_000]))
                _ = try await push()
                #expect(
                    harness.api.metrics.counterValue("artifactstore_repaired_objects_total") == 1,
                    "an intact copy is not repaired again"
                )
            }
        }
    }
}
