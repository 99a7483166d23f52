import ArtifactControlPlane
@testable import ArtifactServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `Expect: 100-continue` gets its interim answer once the handler reads the body, and a request
/// refused before that gets its refusal without one, on a connection then closed.
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

    /// Sends the head of an upload that expects `100 Continue`, sends no body, and returns all the
    /// server writes until it closes the connection (the test fails by time-out if it never does).
    static func refusedWithoutBody(_ harness: ServerHarness, path: String, token: String?) async throws -> String {
        try await harness.withClient(.live) { client in
            let port = try #require(client.port)
            let channel = try await TestRequest.rawConnection(port: port)
            return try await channel.executeThenClose { inbound, outbound -> String in
                let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
                try await outbound.write(ByteBuffer(string:
                    "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n"))
                var text = ""
                for try await buffer in inbound { text += String(buffer: buffer) }
                return text
            }
        }
    }

    @Test("an upload without a token gets 401 without 100 Continue, and the connection is closed after it")
    func refusedUnauthenticated() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let text = try await Self.refusedWithoutBody(harness, path: "/v1/namespaces/team/blobs", token: nil)
            #expect(text.hasPrefix("HTTP/1.1 401"), "\(text)")
            #expect(!text.contains("100 Continue"))
            #expect(text.lowercased().contains("connection: close"))
            #expect(try await harness.blobAndLinkCounts().blobs == 0)
        }
    }

    @Test("an upload into a missing namespace gets 404 without 100 Continue, and the connection is closed after it")
    func refusedMissingNamespace() async throws {
        try await ServerHarness.run { harness in
            let text = try await Self.refusedWithoutBody(harness, path: "/v1/namespaces/nowhere/blobs", token: harness.adminToken)
            #expect(text.hasPrefix("HTTP/1.1 404"), "\(text)")
            #expect(!text.contains("100 Continue"))
            #expect(text.lowercased().contains("connection: close"))
        }
    }

    @Test("the interim answer is only for requests with a body; a keep-alive connection goes on after a continued upload")
    func keepAliveAfterContinue() async throws {
        #expect(!ExpectContinueHandler.expectsContinue(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/", headerFields: [.expect: "100-continue", .contentLength: "0"])))
        #expect(!ExpectContinueHandler.expectsContinue(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/", headerFields: [.expect: "100-continue"])))
        #expect(ExpectContinueHandler.expectsContinue(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/", headerFields: [.expect: "100-Continue", .contentLength: "5"])))
        #expect(ExpectContinueHandler.expectsContinue(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/", headerFields: [.expect: "100-continue", .transferEncoding: "chunked"])))
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let token = harness.adminToken
            try await harness.withClient(.live) { client in
                let port = try #require(client.port)
                let channel = try await TestRequest.rawConnection(port: port)
                let received = try await channel.executeThenClose { inbound, outbound -> String in
                    try await outbound.write(ByteBuffer(string:
                        "POST /v1/namespaces/team/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"))
                    var text = ""
                    var iterator = inbound.makeAsyncIterator()
                    while !text.contains("\r\n\r\n"), let buffer = try await iterator.next() { text += String(buffer: buffer) }
                    #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n"))
                    try await outbound.write(ByteBuffer(string: "hello"))
                    while !text.contains("HTTP/1.1 201"), let buffer = try await iterator.next() { text += String(buffer: buffer) }
                    try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                    while let buffer = try await iterator.next() { text += String(buffer: buffer) }
                    return text
                }
                #expect(received.contains("HTTP/1.1 201"))
                #expect(received.contains("HTTP/1.1 200"), "the connection answered a second request: \(received)")
            }
        }
    }
}
