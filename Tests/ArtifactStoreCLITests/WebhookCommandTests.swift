import ArtifactControlPlane
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// `artifactstore webhook create|list|deliveries|delete` against a live `serve`, whose delivery
/// service posts to a receiver on loopback (allowed by `--webhook-allowed-network loopback`).
@Suite("artifactstore webhook", .serialized, .timeLimit(.minutes(5)))
struct WebhookCommandTests {
    /// Records the bodies and signatures posted to it.
    final class Receiver: Sendable {
        let posts = Mutex<[(signature: String, body: [UInt8])]>([])

        func application(port: Int) -> some ApplicationProtocol {
            let router = Router()
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 1 << 20)
                let signature = request.headers[HTTPField.Name(WebhookDispatcher.signatureHeader)!] ?? ""
                self.posts.withLock { $0.append((signature, Array(body.readableBytesView))) }
                return .noContent
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        }
    }

    /// Waits (a bounded number of tenths of a second) until `condition` holds.
    static func waitFor(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<600 {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func createListDeliverAndDelete() async throws {
        let server = try ServerProcess(arguments: ["--webhook-allowed-network", "loopback"])
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let content = try work.file("a.txt", contents: Array("alpha\n".utf8))
        #expect(try user.admin(["push", "team/app:1", content]).status == 0)
        let secretFile = try work.file("secret", contents: Array("hook-secret\n".utf8))

        let receiver = Receiver()
        let port = try ServerProcess.freePort()
        let running = Task { try await receiver.application(port: port).runService() }
        defer { running.cancel() }
        #expect(try await Self.waitFor { ServerProcess.get("http://127.0.0.1:\(port)/hook") != 0 })

        // Bad input: an unknown event, a missing secret file, a refused address; nothing created.
        let unknown = try user.admin([
            "webhook", "create", "team", "http://127.0.0.1:\(port)/hook", "--secret-file", secretFile, "--events", "pushed",
        ])
        #expect(unknown.status != 0 && unknown.standardError.contains("invalidWebhook"), "\(unknown.standardError)")
        let missing = try user.admin([
            "webhook", "create", "team", "http://127.0.0.1:\(port)/hook", "--secret-file", work.url.path + "/none",
        ])
        #expect(missing.status != 0 && missing.standardError.contains("secret file"), "\(missing.standardError)")
        let metadata = try user.admin(["webhook", "create", "team", "http://169.254.169.254/", "--secret-file", secretFile])
        #expect(metadata.status != 0 && metadata.standardError.contains("webhookAddressRefused"), "\(metadata.standardError)")
        #expect(try user.admin(["webhook", "list", "team"]).standardOutput.isEmpty)

        let (created, value) = try user.json(
            ["webhook", "create", "team", "http://127.0.0.1:\(port)/hook", "--secret-file", secretFile, "--events", "push,tag.move"])
        #expect(created.status == 0, "\(created.standardError)")
        let endpoint = try #require(value as? [String: Any])
        let id = try #require(endpoint["id"] as? String)
        #expect(endpoint["events"] as? [String] == ["push", "tag.move"])
        #expect(!created.standardOutput.contains("hook-secret"))
        #expect(try user.admin(["webhook", "list", "team"]).standardOutput.contains(id))

        #expect(try user.admin(["push", "team/app:2", content]).status == 0)
        #expect(try await Self.waitFor { !receiver.posts.withLock { $0.isEmpty } })
        let (signature, body) = try #require(receiver.posts.withLock { $0.first })
        let event = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(event["type"] as? String == "dev.artifactstore.push" && event["subject"] as? String == "team/app@2")
        let parts = signature.split(separator: ",").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        let t = try #require(parts.first { $0.first == "t" }?.last)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(t).".utf8) + body, using: SymmetricKey(data: Array("hook-secret".utf8)))
        #expect(parts.first { $0.first == "v1" }?.last == mac.map { String(format: "%02x", $0) }.joined())

        #expect(
            try await Self.waitFor {
                try user.admin(["webhook", "deliveries", "team", id, "--state", "delivered"]).standardOutput.contains("push")
            }
        )
        let bad = try user.admin(["webhook", "deliveries", "team", id, "--state", "lost"])
        #expect(bad.status != 0)
        #expect(try user.admin(["webhook", "delete", "team", id]).status == 0)
        let gone = try user.admin(["webhook", "delete", "team", id])
        #expect(gone.status != 0 && gone.standardError.contains("webhookNotFound"), "\(gone.standardError)")
    }
}
