import ArtifactControlPlane
import ArtifactStoreAPI
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The `/v2` upload flows over a real socket (HummingbirdTesting `.live`): bodies stream through
/// the server into the data plane and back, chunked and whole.
@Suite("OCI over a live socket", .timeLimit(.minutes(10)))
struct OCILiveTests {
    @Test("chunked upload of 12 MiB in three PATCHes, closing PUT with the last bytes, GET back byte for byte; monolithic 16 MiB")
    func chunkedAndMonolithic() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            let token = try await harness.token([Grant(.write, namespace: "team")])
            let mebibyte = 1024 * 1024
            let content = OCITest.bytes(12 * mebibyte + 123, seed: 11)
            let digest = OCITest.digest(content)
            let whole = OCITest.bytes(16 * mebibyte, seed: 12)
            try await harness.withClient(.live) { client in
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                let bounds = [0, 4 * mebibyte, 8 * mebibyte, 11 * mebibyte]
                for (start, end) in zip(bounds, bounds.dropFirst()) {
                    try await client.execute(
                        uri: location,
                        method: .patch,
                        headers: OCITest.headers(token, [.contentRange: "\(start)-\(end - 1)", .contentLength: "\(end - start)"]),
                        body: ByteBuffer(bytes: content[start..<end])
                    ) { response in
                        #expect(response.status == .accepted)
                        #expect(response.headers[OCITest.range] == "0-\(end - 1)")
                    }
                }
                let rest = content[(11 * mebibyte)...]
                try await client.execute(
                    uri: "\(location)?digest=\(digest)",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "\(rest.count)"]),
                    body: ByteBuffer(bytes: rest)
                ) { response in
                    #expect(response.status == .created)
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(digest)", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(OCITest.digest(Array(response.body.readableBytesView)) == digest)
                }
                try await client.execute(
                    uri: "/v2/team/app/blobs/uploads/?digest=\(OCITest.digest(whole))",
                    method: .post,
                    headers: OCITest.headers(token, [.contentLength: "\(whole.count)"]),
                    body: ByteBuffer(bytes: whole)
                ) { response in
                    #expect(response.status == .created)
                }
                try await client.execute(
                    uri: "/v2/team/app/blobs/\(OCITest.digest(whole))",
                    method: .get,
                    headers: OCITest.headers(token, [.range: "bytes=1000-"])
                ) { response in
                    #expect(response.status == .partialContent)
                    #expect(Array(response.body.readableBytesView) == Array(whole[1000...]))
                }
            }
        }
    }
}
