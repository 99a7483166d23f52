import ArtifactControlPlane
import ArtifactStoreTestSupport
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 18 item 10: only `chunked`, alone, is accepted as a transfer coding. Anything else is
/// `501 unsupportedTransferCoding`, the connection is closed, and nothing is stored.
@Suite("transfer codings", .timeLimit(.minutes(10)))
struct TransferCodingTests {
    /// `POST /v1/namespaces/team/blobs` with `Transfer-Encoding: coding` and a chunked body on a
    /// connection of its own; what the server sent before closing it.
    static func upload(port: Int, token: String, coding: String) async throws -> String {
        let client = try await RawClient.connect(port: port)
        let body = "0123456789abcdef"
        try await client.send(
            "POST /v1/namespaces/team/blobs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\nTransfer-Encoding: \(coding)\r\n\r\n"
                + "\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n"
        )
        // The whole answer: its JSON body, or the parser's empty 400.
        let answered = await RawClient.poll(until: .now + .seconds(20)) {
            client.received.contains("}") || client.received.hasPrefix("HTTP/1.1 400")
        }
        #expect(answered, "no answer to \(coding)")
        let received = client.received
        await client.close()
        return received
    }

    @Test(
        "gzip, chunked and other codings are refused with 501 and stored nothing; chunked alone stores the blob",
        arguments: ["gzip, chunked", "deflate,chunked", "GZIP, Chunked", "x-custom, chunked", "identity, chunked"]
    )
    func refused(_ coding: String) async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let token = harness.adminToken
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let refusal = try await Self.upload(port: port, token: token, coding: coding)
                #expect(refusal.hasPrefix("HTTP/1.1 501 Not Implemented\r\n"), "\(refusal)")
                #expect(refusal.lowercased().contains("\r\nconnection: close\r\n"), "\(refusal)")
                #expect(refusal.contains(#""code":"unsupportedTransferCoding""#), "\(refusal)")
                #expect(refusal.contains("Transfer-Encoding \\\"\(coding)\\\" is not supported"), "\(refusal)")
                let before = try await harness.blobAndLinkCounts()
                #expect(before.blobs == 0 && before.links == 0)
                #expect(harness.storedFiles().isEmpty)

                let accepted = try await Self.upload(port: port, token: token, coding: "chunked")
                #expect(accepted.hasPrefix("HTTP/1.1 201"), "\(accepted)")
                let after = try await harness.blobAndLinkCounts()
                #expect(after.blobs == 1 && after.links == 1)
            }
        }
    }

    @Test("chunked twice is refused by the HTTP parser itself (400), and nothing is stored")
    func chunkedTwice() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let token = harness.adminToken
            try await harness.withClient(.live) { client in
                let refusal = try await Self.upload(port: try #require(client.port), token: token, coding: "chunked, chunked")
                #expect(refusal.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(refusal)")
                let counts = try await harness.blobAndLinkCounts()
                #expect(counts.blobs == 0 && counts.links == 0)
            }
        }
    }
}
