import ArtifactServer
import ArtifactStoreTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("405 Method Not Allowed", .timeLimit(.minutes(10)))
struct MethodNotAllowedTests {
    @Test("a known path with another method answers 405 with Allow; an unknown path 404; nothing is created")
    func methodNotAllowed() async throws {
        try await ServerHarness.run { harness in
            let admin = harness.adminToken
            let before = try await harness.blobAndLinkCounts()
            try await harness.withClient { client in
                try await client.execute(uri: "/v1/namespaces", method: .put, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.errorCode() == "methodNotAllowed")
                    #expect(response.headers[HTTPField.Name("Allow")!] == "GET, POST")
                }
                try await client.execute(uri: "/v1/namespaces/team/blobs/sha256:00", method: .delete, headers: TestRequest.bearer(admin)) {
                    response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[HTTPField.Name("Allow")!] == "HEAD, GET")
                }
                try await client.execute(uri: "/v1/namespaces/team/artifacts/app/versions/1.0/files/a/b/c", method: .post, headers: [:]) {
                    response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[HTTPField.Name("Allow")!] == "GET, HEAD")
                }
                try await client.execute(uri: "/v1/no-such-thing", method: .put, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode() == "notFound")
                }
                try await client.execute(uri: "/v1/namespaces", method: .get, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .ok)
                }
            }
            #expect(try await harness.blobAndLinkCounts() == before)
        }
    }
}
