import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

@testable import ArtifactServer

/// Large downloads sent by the kernel from their files (``DownloadBody``, ``FileRegionSender``):
/// the bytes are exact, whole and ranged, and a region whose proof fails never delivers its
/// last bytes.
@Suite("File region downloads", .timeLimit(.minutes(10)))
struct FileRegionDownloadTests {
    /// What a raw HTTP/1.1 GET read until the server closed the connection.
    struct RawResponse {
        var head: String
        var body: [UInt8]
    }

    /// Sends one GET with `Connection: close` and reads until the server closes.
    static func rawGet(port: Int, path: String, headers: [String] = []) async throws -> RawResponse {
        let channel = try await TestRequest.rawConnection(port: port)
        var received: [UInt8] = []
        try await channel.executeThenClose { inbound, outbound in
            let lines = ["GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + headers
            try await outbound.write(ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n\r\n"))
            do {
                for try await buffer in inbound { received.append(contentsOf: buffer.readableBytesView) }
            } catch {
                // A connection reset ends the read like a close does.
            }
        }
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0...(received.count - separator.count)).first(where: { Array(received[$0..<$0 + separator.count]) == separator })
        else {
            return RawResponse(head: String(decoding: received, as: UTF8.self), body: [])
        }
        return RawResponse(head: String(decoding: received[..<end], as: UTF8.self), body: Array(received[(end + separator.count)...]))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        [UInt8].random(count: count)
    }

    static func sentFromFiles(_ metrics: ServerMetrics) -> Int? {
        metrics.counterValue("artifactstore_http_sent_file_region_bytes_total")
    }

    @Test("a large blob is sent from its file whole from its first read on, and proved through buffers when ranged")
    func largeBlobIsSentFromItsFile() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let bytes = Self.randomBytes(3 * 1024 * 1024 + 5)
            let blob = try await harness.controlPlane.registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: bytes)),
                context: RequestContext(actor: "t")
            )
            let token = harness.adminToken
            let path = "/v1/namespaces/team/blobs/\(blob.address)"
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let whole = try await Self.rawGet(port: port, path: path, headers: ["Authorization: Bearer \(token)"])
                #expect(whole.head.hasPrefix("HTTP/1.1 200"))
                #expect(whole.body == bytes)
                let ranged = try await Self.rawGet(
                    port: port,
                    path: path,
                    headers: ["Authorization: Bearer \(token)", "Range: bytes=1000-2000999"]
                )
                #expect(ranged.head.hasPrefix("HTTP/1.1 206"))
                #expect(ranged.body == Array(bytes[1000...2_000_999]))
                // A range is proved group by group as it passes, so it is never sent from the file.
                #expect(Self.sentFromFiles(harness.api.metrics) == bytes.count)

                // Changed on disk: no longer proved by its stamp, so hashed through buffers, and
                // the mismatch withholds the last bytes.
                let file = try #require(harness.storedFiles().first { $0.hasPrefix("blobs/") })
                let handle = try #require(FileHandle(forUpdatingAtPath: harness.blobsDirectory + "/" + file))
                try handle.seek(toOffset: 12_345)
                try handle.write(contentsOf: Data([bytes[12_345] ^ 0xFF]))
                try handle.close()
                let corrupted = try await Self.rawGet(port: port, path: path, headers: ["Authorization: Bearer \(token)"])
                #expect(corrupted.head.hasPrefix("HTTP/1.1 200"))
                #expect(corrupted.body.count < bytes.count)
                #expect(Self.sentFromFiles(harness.api.metrics) == bytes.count)
            }
        }
    }

    @Test("a file region whose check fails is cut before its last bytes")
    func unprovedRegionIsCutBeforeItsLastBytes() async throws {
        let path = FileManager.default.temporaryDirectory.path + "/artifactstore-region-\(UUID().uuidString.lowercased())"
        let bytes = Self.randomBytes(2 * 1024 * 1024)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }

        struct Unproved: Error {}
        let metrics = ServerMetrics()
        let router = Router(context: ServerRequestContext.self)
        router.get("/region") { _, context in
            let slice = ByteStreamFileSlice(descriptor: descriptor, range: 0..<UInt64(bytes.count), owner: 0) { throw Unproved() }
            return Response(
                status: .ok,
                headers: [.contentLength: "\(bytes.count)"],
                body: DownloadBody.make(
                    ByteStream(ByteStream.empty, fileSlice: slice),
                    channel: context.channel,
                    metrics: metrics
                )
            )
        }
        let app = Application(
            router: router,
            server: ServeApplication.httpServer(limits: .patient),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestLogs.silent
        )
        try await app.test(.live) { client in
            let response = try await Self.rawGet(port: try #require(client.port), path: "/region")
            #expect(response.head.hasPrefix("HTTP/1.1 200"))
            #expect(response.body.count == bytes.count - Int(DownloadBody.heldBackBytes))
            #expect(response.body == Array(bytes[..<(bytes.count - Int(DownloadBody.heldBackBytes))]))
            #expect(Self.sentFromFiles(metrics) == 0)
        }
    }
}
