import ArtifactControlPlane
import ArtifactServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `Expect: 100-continue` gets its interim answer before the client sends the body.
@Suite("Expect: 100-continue")
struct ExpectContinueTests {
    @Test("an upload that waits for 100 Continue gets it at once, then its final answer")
    func interimAnswerBeforeTheBody() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let token = harness.adminToken
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let channel = try await TestRequest.rawConnection(port: port)
                let body = [UInt8](repeating: 7, count: 100_000)
                let received = try await channel.executeThenClose { inbound, outbound -> String in
                    try await outbound.write(ByteBuffer(string:
                        "POST /v1/namespaces/team/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"))
                    var text = ""
                    var iterator = inbound.makeAsyncIterator()
                    // Nothing of the body is sent until the interim answer has arrived.
                    while !text.contains("\r\n\r\n"), let buffer = try await iterator.next() {
                        text += String(buffer: buffer)
                    }
                    #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n"))
                    try await outbound.write(ByteBuffer(bytes: body))
                    while let buffer = try await iterator.next() { text += String(buffer: buffer) }
                    return text
                }
                let final = try #require(received.range(of: "\r\n\r\n").map { received[$0.upperBound...] })
                #expect(final.hasPrefix("HTTP/1.1 201"))
            }
            #expect(try await harness.blobAndLinkCounts().blobs == 1)
        }
    }
}
