import ArtifactMetadata
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Two real `artifactstore serve` processes on one PostgreSQL schema, as a cluster runs them.
extension ServeBinaryTests {
    @Test(
        "a token revoked through one serve process is refused by a second on the same PostgreSQL database within 1 s",
        .timeLimit(.minutes(5))
    )
    func revocationAcrossProcesses() async throws {
        try await TestDatabase.postgres.withLocation { location in
            guard case .postgres(let postgres) = location, let schema = postgres.schema, let base = TestDatabase.postgresURL else { return }
            let database = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
            let admin = "ast_00112233aabbccdd_" + String(repeating: "5a", count: 32)
            let environment = ["ARTIFACTSTORE_DATABASE": database, "ARTIFACTSTORE_ADMIN_TOKEN": admin]
            let directories = [Self.temporaryDirectory(), Self.temporaryDirectory()]
            defer { for directory in directories { try? FileManager.default.removeItem(atPath: directory) } }
            let first = try Server(dataDirectory: directories[0], environment: environment)
            try await withCleanup {
                try await first.waitUntilListening()
                let second = try Server(dataDirectory: directories[1], environment: environment)
                try await withCleanup {
                    try await second.waitUntilListening()
                    let issued = try await first.createToken(
                        admin: admin,
                        json: #"{"name":"ci","grants":[{"scope":"read","namespace":"team"}]}"#
                    )
                    // Authorised on the second process first, so that it holds the token in its cache.
                    #expect(try await second.get("/v1/whoami", token: issued.token).status == 200)
                    #expect(try await second.get("/v1/whoami", token: issued.token).status == 200)
                    #expect(try await first.delete("/v1/tokens/\(issued.id)", token: admin) == 204)
                    let revokedAt = ContinuousClock.now
                    var status: UInt = 0
                    while ContinuousClock.now - revokedAt < .seconds(1) {
                        status = try await second.get("/v1/whoami", token: issued.token).status
                        if status == 401 { break }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    #expect(status == 401, "the second process still accepted a token revoked through the first after 1 s")
                    #expect(try await first.get("/v1/whoami", token: issued.token).status == 401)
                } then: {
                    _ = await second.terminate()
                }
            } then: {
                _ = await first.terminate()
            }
        }
    }
}

extension ServeBinaryTests.Server {
    /// `POST /v1/tokens` with `json`; the new token and its id.
    func createToken(admin: String, json: String) async throws -> (token: String, id: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tokens")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(admin)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 201,
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let token = object["token"] as? String, let info = object["info"] as? [String: Any], let id = info["id"] as? String
        else {
            throw TestFailure("creating a token answered \(response.status.code): \(String(buffer: body))")
        }
        return (token, id)
    }

    /// `DELETE path`; the status.
    func delete(_ path: String, token: String) async throws -> UInt {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .DELETE
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code
    }
}
