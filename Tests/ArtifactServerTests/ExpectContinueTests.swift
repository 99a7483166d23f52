import ArtifactControlPlane
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArtifactServer

/// `Expect: 100-continue` gets its interim answer once the handler reads the body, and a request
/// refused before that gets its refusal without one, on a connection then closed.
@Suite("Expect: 100-continue", .timeLimit(.minutes(10)))
struct ExpectContinueTests {
    /// The head of a blob upload of `length` bytes that waits for `100 Continue`.
    static func uploadHead(_ path: String, token: String?, length: Int, close: Bool = false) -> ByteBuffer {
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return ByteBuffer(
            string:
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)Content-Type: application/octet-stream\r\n"
                + "Content-Length: \(length)\r\nExpect: 100-continue\r\n\(close ? "Connection: close\r\n" : "")\r\n"
        )
    }

    /// Runs `exchange` over a raw connection to the live server; returns what it returns.
    static func raw(
        _ harness: ServerHarness,
        _ exchange:
            @escaping @Sendable (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> String
    ) async throws -> String {
        try await harness.withClient(.live) { client in
            let channel = try await TestRequest.rawConnection(port: try #require(client.port))
            return try await channel.executeThenClose { inbound, outbound in try await exchange(inbound, outbound) }
        }
    }

    /// Reads from `iterator` into `text` until `text` contains `marker` or the connection ends.
    static func read(
        _ iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        into text: inout String,
        until marker: String?
    ) async throws {
        while marker.map({ !text.contains($0) }) ?? true, let buffer = try await iterator.next(isolation: #isolation) {
            text += String(buffer: buffer)
        }
    }

    /// Sends `head`, then `body` only once the interim answer has arrived, as a client that
    /// honours `Expect` does; checks that answer is `100 Continue`. What was read is in `text`.
    static func sendAfterContinue(
        _ head: ByteBuffer,
        body: ByteBuffer,
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        _ iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        into text: inout String
    ) async throws {
        try await outbound.write(head)
        try await read(&iterator, into: &text, until: "\r\n\r\n")
        #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n"))
        try await outbound.write(body)
    }

    @Test("an upload that waits for 100 Continue gets it at once, then its final answer")
    func interimAnswerBeforeTheBody() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let head = Self.uploadHead("/v1/namespaces/team/blobs", token: harness.adminToken, length: 100_000, close: true)
            let received = try await Self.raw(harness) { inbound, outbound in
                var text = ""
                var iterator = inbound.makeAsyncIterator()
                try await Self.sendAfterContinue(
                    head,
                    body: ByteBuffer(bytes: [UInt8](repeating: 7, count: 100_000)),
                    outbound,
                    &iterator,
                    into: &text
                )
                try await Self.read(&iterator, into: &text, until: nil)
                return text
            }
            let final = try #require(received.range(of: "\r\n\r\n").map { received[$0.upperBound...] })
            #expect(final.hasPrefix("HTTP/1.1 201"))
            #expect(try await harness.blobAndLinkCounts().blobs == 1)
        }
    }

    /// Sends the head of a 1 GiB upload that expects `100 Continue`, sends no body, and returns
    /// all the server writes until it closes the connection (the test fails by time-out if it never does).
    static func refusedWithoutBody(_ harness: ServerHarness, path: String, token: String?) async throws -> String {
        let head = uploadHead(path, token: token, length: 1 << 30)
        return try await raw(harness) { inbound, outbound in
            try await outbound.write(head)
            var text = ""
            var iterator = inbound.makeAsyncIterator()
            try await Self.read(&iterator, into: &text, until: nil)
            return text
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

    @Test("only a request with a body waits for the interim answer")
    func onlyWithABody() {
        func request(_ method: HTTPRequest.Method, _ fields: HTTPFields) -> HTTPRequest {
            HTTPRequest(method: method, scheme: nil, authority: nil, path: "/", headerFields: fields)
        }
        #expect(!ExpectContinueHandler.expectsContinue(request(.post, [.expect: "100-continue", .contentLength: "0"])))
        #expect(!ExpectContinueHandler.expectsContinue(request(.get, [.expect: "100-continue"])))
        #expect(!ExpectContinueHandler.expectsContinue(request(.post, [.contentLength: "5"])))
        #expect(ExpectContinueHandler.expectsContinue(request(.post, [.expect: "100-Continue", .contentLength: "5"])))
        #expect(ExpectContinueHandler.expectsContinue(request(.post, [.expect: "100-continue", .transferEncoding: "chunked"])))
    }

    @Test("a keep-alive connection goes on after a continued upload")
    func keepAliveAfterContinue() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let head = Self.uploadHead("/v1/namespaces/team/blobs", token: harness.adminToken, length: 5)
            let received = try await Self.raw(harness) { inbound, outbound in
                var text = ""
                var iterator = inbound.makeAsyncIterator()
                try await Self.sendAfterContinue(head, body: ByteBuffer(string: "hello"), outbound, &iterator, into: &text)
                try await Self.read(&iterator, into: &text, until: "HTTP/1.1 201")
                try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                try await Self.read(&iterator, into: &text, until: nil)
                return text
            }
            #expect(received.contains("HTTP/1.1 201"))
            #expect(received.contains("HTTP/1.1 200"), "the connection answered a second request: \(received)")
        }
    }
}
