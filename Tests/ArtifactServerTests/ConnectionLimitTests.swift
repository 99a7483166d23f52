import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ServeBinaryTests.Server {
    /// For a `defer`: kills the server if a failed expectation left it running, and removes its
    /// data directory.
    func stop(removing directory: String) {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Issue 18 item 4: connections cannot pin the server. Each test runs the real
/// `artifactstore serve` on a free loopback port with short limits given as flags, and watches
/// its connections and its descriptors (`/proc/PID/fd`) from outside.
@Suite("connection limits (binary)", .serialized, .timeLimit(.minutes(10)))
struct ConnectionLimitTests {
    typealias Server = ServeBinaryTests.Server

    /// Slack on top of a configured timeout before a connection still open counts as a failure:
    /// two shared cores, 700 connections.
    static let slack: Duration = .seconds(3)

    static func start(_ arguments: [String]) async throws -> (Server, String) {
        let directory = ServeBinaryTests.temporaryDirectory()
        let server = try Server(dataDirectory: directory, arguments: arguments)
        try await server.waitUntilListening()
        return (server, directory)
    }

    static func descriptors(_ server: Server) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.process.processIdentifier)/fd").count) ?? -1
    }

    /// The descriptor count once it has not changed for 300 ms.
    static func stableDescriptors(_ server: Server) async throws -> Int {
        var last = descriptors(server)
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(300))
            let now = descriptors(server)
            if now == last { return now }
            last = now
        }
        return last
    }

    /// `GET /healthz` on a connection of its own that is then closed: the status and how long it took.
    static func healthz(_ server: Server) async throws -> (status: UInt, elapsed: Duration) {
        let start = ContinuousClock.now
        let client = try await RawClient.connect(port: server.port)
        try await client.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        _ = await RawClient.poll(until: .now + .seconds(10)) { client.received.contains("\r\n\r\n") }
        let elapsed = ContinuousClock.now - start
        await client.close()
        let status = UInt(client.received.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, elapsed)
    }

    @Test("500 slowloris and 200 silent connections: /healthz answers meanwhile, and each is closed within its header read timeout")
    func slowloris() async throws {
        let timeout = Duration.seconds(2)
        let (server, directory) = try await Self.start(["--header-read-timeout", "2", "--idle-timeout", "30", "--max-connections", "2000"])
        defer { server.stop(removing: directory) }
        var slow: [RawClient] = []
        for _ in 0..<500 {
            let client = try await RawClient.connect(port: server.port)
            try await client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n")
            slow.append(client)
        }
        var silent: [RawClient] = []
        for _ in 0..<200 { silent.append(try await RawClient.connect(port: server.port)) }
        // The slow clients go on sending a header line every 300 ms, never the blank line.
        let dribble = Task {
            while !Task.isCancelled {
                for client in slow where client.closedAt == nil { try? await client.send("X-Slow: 1\r\n") }
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        defer { dribble.cancel() }
        let answer = try await Self.healthz(server)
        #expect(answer.status == 200)
        print("ConnectionLimitTests.slowloris: /healthz with 700 slow or silent connections open answered in \(answer.elapsed)")
        let everyOne = slow + silent
        let allClosed = await RawClient.poll(until: .now + timeout + Self.slack + .seconds(2)) {
            everyOne.allSatisfy { $0.closedAt != nil }
        }
        #expect(allClosed, "\(everyOne.filter { $0.closedAt == nil }.count) of 700 connections still open")
        let late = everyOne.filter { client in client.closedAt.map { $0 - client.opened > timeout + Self.slack } ?? true }
        #expect(late.isEmpty, "\(late.count) connections closed later than \(timeout) + \(Self.slack)")
        #expect(everyOne.allSatisfy { !$0.received.contains("200 OK") }, "a request without the end of its head was answered")
        #expect(try await Self.healthz(server).status == 200)
        #expect(await server.terminate() == 0)
    }

    @Test("200 requests with a 1 MiB header are refused with 431 and their descriptors released within 5 s, though the clients never close")
    func oversizedHeaders() async throws {
        // Long timeouts, so the release is not theirs.
        let (server, directory) = try await Self.start(["--header-read-timeout", "60", "--idle-timeout", "60", "--body-idle-timeout", "60"])
        defer { server.stop(removing: directory) }
        #expect(try await Self.healthz(server).status == 200)
        let baseline = try await Self.stableDescriptors(server)
        var header = ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ")
        header.writeRepeatingByte(UInt8(ascii: "a"), count: 1 << 20)
        header.writeString("\r\n\r\n")
        var clients: [RawClient] = []
        for _ in 0..<200 {
            let client = try await RawClient.connect(port: server.port)
            clients.append(client)
            // Not awaited: the server stops reading at its header limit, and the rest is drained or dropped.
            client.channel.writeAndFlush(header, promise: nil)
        }
        let refusal = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        let answered = await RawClient.poll(until: .now + .seconds(20)) { clients.allSatisfy { $0.received.hasPrefix(refusal) } }
        #expect(answered, "\(clients.filter { !$0.received.hasPrefix(refusal) }.count) of 200 got no 431: \(clients.first?.received ?? "")")
        let refusedAt = ContinuousClock.now
        let released = await RawClient.poll(until: refusedAt + .seconds(5)) { Self.descriptors(server) <= baseline }
        #expect(released, "descriptors: \(Self.descriptors(server)), baseline \(baseline)")
        print("ConnectionLimitTests.oversizedHeaders: baseline \(baseline) descriptors, back after \(ContinuousClock.now - refusedAt)")
        #expect(clients.allSatisfy { $0.closedAt != nil }, "the server closed every refused connection")
        for client in clients { await client.close() }
        #expect(await server.terminate() == 0)
    }

    @Test("a kept-alive connection is closed after the idle timeout, and a body that stops after the body idle timeout")
    func idleAndBodyTimeouts() async throws {
        let (server, directory) = try await Self.start(["--header-read-timeout", "30", "--idle-timeout", "1", "--body-idle-timeout", "1"])
        defer { server.stop(removing: directory) }
        let idle = try await RawClient.connect(port: server.port)
        try await idle.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        let body = try await RawClient.connect(port: server.port)
        try await body.send("POST /v1/namespaces/team/blobs HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789")
        let bothClosed = await RawClient.poll(until: .now + .seconds(1) + Self.slack) { idle.closedAt != nil && body.closedAt != nil }
        #expect(bothClosed, "idle closed: \(idle.closedAt != nil), body closed: \(body.closedAt != nil)")
        #expect(idle.received.hasPrefix("HTTP/1.1 200"), "the kept-alive connection was answered before it was closed")
        #expect(await server.terminate() == 0)
    }

    @Test("one connection beyond maxConnections gets 503 with Retry-After and is closed; freed slots are used again")
    func maximumConnections() async throws {
        let (server, directory) = try await Self.start(["--max-connections", "3", "--header-read-timeout", "60", "--idle-timeout", "60"])
        defer { server.stop(removing: directory) }
        // Each held connection is answered once (and kept alive), so it has surely been counted:
        // connections are admitted on their own event loops, in no fixed order.
        var held: [RawClient] = []
        for _ in 0..<3 {
            let client = try await RawClient.connect(port: server.port)
            try await client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await RawClient.poll(until: .now + .seconds(10)) { client.received.hasPrefix("HTTP/1.1 200") })
            held.append(client)
        }
        let refused = try await RawClient.connect(port: server.port)
        let closed = await RawClient.poll(until: .now + .seconds(10)) { refused.closedAt != nil }
        #expect(closed)
        let response = refused.received
        #expect(response.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(response)")
        #expect(response.contains("\r\nRetry-After: 1\r\n"))
        #expect(response.contains("\r\nConnection: close\r\n"))
        let body = try #require(response.components(separatedBy: "\r\n\r\n").last)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]])["error"]
        #expect(error?["code"] == "tooManyConnections")
        #expect(error?["message"] == "the server already has 3 open connections, its maximum (maxConnections); retry after 1 second")
        for client in held { await client.close() }
        // The server counts a connection out when it sees it closed: poll with a deadline.
        var status: UInt = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while status != 200, ContinuousClock.now < deadline {
            status = try await Self.healthz(server).status
        }
        #expect(status == 200, "a freed slot is used again")
        #expect(await server.terminate() == 0)
    }
}
