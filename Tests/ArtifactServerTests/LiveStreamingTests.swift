import ArtifactControlPlane
import ArtifactServer
import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// Through a real socket: large streamed transfers, and uploads cut short.
///
/// The server's memory over a 1 GiB transfer is checked where the server is a process of its own
/// (`LargeTransferTests` in the CLI tests): here it shares the test process, whose resident set
/// the tests running beside this one move by hundreds of MiB.
@Suite("Live streaming", .serialized, .timeLimit(.minutes(10)))
struct LiveStreamingTests {
    /// 1 MiB of deterministic bytes; chunk `i` differs from chunk `j` by its first 8 bytes.
    static func chunk(_ index: Int, size: Int = 1 << 20) -> ByteBuffer {
        var buffer = ByteBuffer(repeating: UInt8(truncatingIfNeeded: index &* 31 &+ 7), count: size)
        buffer.setInteger(UInt64(index), at: 0)
        return buffer
    }

    @Test("1 GiB streamed up and down: digests match")
    func gibibyteRoundTrip() async throws {
        let chunks = 1024
        let total = chunks << 20
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("big", context: RequestContext(actor: "t"))
            let token = harness.adminToken
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                var expected = SHA256()
                for index in 0..<chunks { expected.update(data: Array(Self.chunk(index).readableBytesView)) }
                let expectedHex = expected.finalize().map { String(format: "%02x", $0) }.joined()

                var upload = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/namespaces/big/blobs?digest=sha256:\(expectedHex)")
                upload.method = .POST
                upload.headers.add(name: "Authorization", value: "Bearer \(token)")
                upload.headers.add(name: "Content-Type", value: "application/octet-stream")
                upload.body = .stream(ChunkSequence(count: chunks), length: .known(Int64(total)))
                let uploaded = try await HTTPClient.shared.execute(upload, timeout: .minutes(10))
                #expect(uploaded.status == .created)
                let uploadBody = try await uploaded.body.collect(upTo: 1 << 16)
                let json = try JSONSerialization.jsonObject(with: Data(uploadBody.readableBytesView)) as? [String: Any]
                let address = try #require(json?["address"] as? String)
                #expect(json?["size"] as? Int == total)

                var download = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/namespaces/big/blobs/\(address)")
                download.headers.add(name: "Authorization", value: "Bearer \(token)")
                let response = try await HTTPClient.shared.execute(download, timeout: .minutes(10))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "Content-Digest") == "sha-256=:\(Data(hex: expectedHex).base64EncodedString()):")
                var received = SHA256()
                var count = 0
                for try await buffer in response.body {
                    received.update(data: Array(buffer.readableBytesView))
                    count += buffer.readableBytes
                }
                #expect(count == total)
                #expect(received.finalize().map { String(format: "%02x", $0) }.joined() == expectedHex)
            }
        }
    }

    @Test("an upload whose connection is cut before Content-Length bytes arrived stores nothing")
    func cutUploadStoresNothing() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let token = harness.adminToken
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let channel = try await TestRequest.rawConnection(port: port)
                try await channel.executeThenClose { _, outbound in
                    var request = ByteBuffer(
                        string: "POST /v1/namespaces/team/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                            + "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n"
                    )
                    var partial = LiveStreamingTests.chunk(1, size: 300_000)
                    request.writeBuffer(&partial)
                    try await outbound.write(request)
                }
                // Wait until the server has finished with the ingest (its latency is recorded
                // whether it succeeded or not), bounded so a hang fails instead of blocking.
                let deadline = ContinuousClock.now + .seconds(30)
                var finished = false
                while ContinuousClock.now < deadline {
                    let metrics = String(decoding: harness.api.metrics.exposition(), as: UTF8.self)
                    if metrics.contains("artifactstore_ingest_duration_seconds_count 1") {
                        finished = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(finished, "the server never finished the cut upload")
                // A follow-up request on a new connection is served normally.
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                #expect(harness.storedFiles().isEmpty)
                let counts = try await harness.blobAndLinkCounts()
                #expect(counts.blobs == 0 && counts.links == 0)
            }
        }
    }
}

/// `count` deterministic 1 MiB chunks, produced on demand (nothing held beyond the chunk in hand).
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var index = 0
        let count: Int
        mutating func next() async -> ByteBuffer? {
            guard index < count else { return nil }
            defer { index += 1 }
            return LiveStreamingTests.chunk(index)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count) }
}

extension Data {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }
}
