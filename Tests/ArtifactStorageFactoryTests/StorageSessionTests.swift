import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

@Suite("StorageSession", .timeLimit(.minutes(10)))
struct StorageSessionTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
    static let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"

    @Test func forwardsLogsAndNeverShowsSecrets() async throws {
        let (logger, lines) = TestLogs.recording()
        let name = "session-" + UUID().uuidString
        defer { MemoryStoreRegistry.remove(name) }
        let credentials = StorageCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: Self.token)
        let session = try await StorageFactory(logger: logger).session(
            "memory://\(name)",
            sessionID: "s-42",
            user: "alice",
            credentials: credentials,
            logger: logger
        )

        let context = session.context()
        #expect(context["storage.session"] == "s-42")
        #expect(context["storage.user"] == "alice")
        #expect(context["storage.credentials.accessKeyID"] == "AKIDEXAMPLE")
        #expect(context["storage.credentials.secretAccessKey"] == "<redacted>")
        #expect(context["storage.credentials.sessionToken"] == "<redacted>")
        #expect(!"\(context)".contains(Self.secret) && !"\(context)".contains(Self.token))
        #expect(!"\(session.credentials!)".contains(Self.secret))

        let path = try StoragePath("dir/object")
        try await session.write(path, from: ByteStream(ByteBuffer(string: "payload")), options: StorageWriteOptions(mode: 0o640))
        #expect(try await session.exists(path))
        #expect(try await session.stat(path).size == 7)
        var bytes: [UInt8] = []
        for try await chunk in try await session.read(path, range: 0...2) { bytes += chunk.readableBytesView }
        #expect(bytes == Array("pay".utf8))
        _ = try await session.list(under: nil, recursive: true, limit: 10, cursor: nil)
        try await session.move(from: path, to: try StoragePath("dir/moved"), overwrite: false)
        try await session.makeDirectory(try StoragePath("empty"))
        try await session.removeDirectory(try StoragePath("empty"))
        let missing = await #expect(throws: StorageError.self) { try await session.delete(path) }
        #expect(missing?.kind == .objectNotFound)
        try await session.delete(try StoragePath("dir/moved"))
        _ = await session.health()

        let logged = lines.all
        for operation in ["write", "exists", "stat", "read", "list", "move", "makeDirectory", "removeDirectory", "delete", "health"] {
            #expect(logged.contains { $0.contains("storage.operation=\(operation)") }, "no log line for \(operation)")
        }
        #expect(logged.contains { $0.contains("storage delete failed") && $0.contains("storage.outcome=objectNotFound") })
        #expect(logged.allSatisfy { $0.contains("storage.session=s-42") && $0.contains("storage.user=alice") })
        for line in logged {
            #expect(!line.contains(Self.secret), "a log line shows the secret key")
            #expect(!line.contains(Self.token), "a log line shows the session token")
            #expect(!line.contains("payload"), "a log line shows object content")
        }
        #expect(logged.contains { $0.contains("<redacted>") })
    }

    @Test func contextWithoutCredentials() throws {
        let session = StorageSession(
            backend: MemoryBackend(),
            url: "memory://x",
            sessionID: "s-1",
            user: nil,
            credentials: nil,
            logger: TestLogs.silent
        )
        #expect(session.context() == ["storage.session": "s-1", "storage.url": "memory://x", "storage.user": "-"])
    }
}
