import ArtifactControlPlane
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A webhook receiver on loopback for the tests: a real Hummingbird server that records every
/// request and answers with the status it is told to (503 while "down").
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var deliveryID: String
        var signature: String
        var contentType: String
        var body: [UInt8]
        var answered: Int
    }

    private let state = Mutex<(status: Int, received: [Received])>((200, []))

    var received: [Received] { state.withLock { $0.received } }
    /// What was answered with 2xx.
    var accepted: [Received] { received.filter { (200..<300).contains($0.answered) } }

    func answer(_ status: Int) { state.withLock { $0.status = status } }

    /// Runs `body` with the receiver listening; `body` gets its URL.
    func run(_ body: @Sendable @escaping (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = self.state.withLock { state -> Int in
                state.received.append(
                    Received(
                        deliveryID: request.headers[HTTPField.Name(WebhookDispatcher.deliveryHeader)!] ?? "",
                        signature: request.headers[HTTPField.Name(WebhookDispatcher.signatureHeader)!] ?? "",
                        contentType: request.headers[.contentType] ?? "",
                        body: Array(bytes.readableBytesView),
                        answered: state.status
                    )
                )
                return state.status
            }
            var headers: HTTPFields = [.contentLength: "2"]
            if (300..<400).contains(status) { headers[.location] = "/elsewhere" }
            return Response(status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: ServerHarness.silent)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body("http://127.0.0.1:\(port)/hook")
        }
    }

    /// Whether `signature` (`t=<seconds>,v1=<hex>`) is the HMAC-SHA256 of `"<t>.<body>"` under `secret`.
    static func verify(signature: String, body: [UInt8], secret: [UInt8]) -> Bool {
        let parts = Dictionary(
            uniqueKeysWithValues: signature.split(separator: ",").compactMap { part -> (String, String)? in
                let pair = part.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }
        )
        guard let t = parts["t"], let v1 = parts["v1"] else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(t).".utf8) + body, using: SymmetricKey(data: secret))
        return mac.map { String(format: "%02x", $0) }.joined() == v1
    }
}

/// A wall clock for a control plane that moves only when a test says.
final class SteppedDate: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var date: Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    var clock: @Sendable () -> Date { { self.date } }
}
