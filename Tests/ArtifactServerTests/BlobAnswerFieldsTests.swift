import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import ArtifactServer

/// A blob's answer fields are built once per blob and kept (``BlobAnswerFields``): each blob
/// still gets its own, and the table stays bounded.
@Suite("Blob answer fields", .timeLimit(.minutes(5)))
struct BlobAnswerFieldsTests {
    @Test("fields are built once per key, each key keeps its own, and the table never passes its capacity")
    func keptPerKeyAndBounded() {
        let table = BlobAnswerFields<Int, OCIDistributionAPI.BlobFields>()
        let built = Atomic<Int>(0)
        func fields(_ key: Int) -> OCIDistributionAPI.BlobFields {
            table.fields(for: key) {
                built.add(1, ordering: .relaxed)
                return OCIDistributionAPI.BlobFields(
                    identity: [HTTPField(name: .eTag, value: "\"\(key)\"")],
                    contentLength: HTTPField(name: .contentLength, value: "\(key)")
                )
            }
        }
        #expect(fields(1).identity.first?.value == "\"1\"")
        #expect(fields(2).contentLength.value == "2")
        #expect(fields(1).identity.first?.value == "\"1\"")
        #expect(built.load(ordering: .relaxed) == 2)
        let capacity = BlobAnswerFields<Int, OCIDistributionAPI.BlobFields>.capacity
        for key in 0..<(capacity * 2 + 3) {
            #expect(fields(key).identity.first?.value == "\"\(key)\"")
            #expect(table.count <= capacity)
        }
    }

    @Test("two blobs read in turn through /v1 each answer with their own ETag, digests and length", arguments: [TestDatabase.sqlite])
    func eachBlobItsOwnFields(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let writer = try await harness.token([Grant(.write, namespace: "team")])
            let contents = [ByteBuffer(string: "the first blob"), ByteBuffer(string: "a second, longer blob of other bytes")]
            try await harness.withClient { client in
                var addresses: [String] = []
                for content in contents {
                    var headers = TestRequest.bearer(writer)
                    headers[.contentType] = "application/octet-stream"
                    addresses.append(
                        try await client.execute(uri: "/v1/namespaces/team/blobs", method: .post, headers: headers, body: content) {
                            try #require($0.json()["address"] as? String)
                        }
                    )
                }
                for round in 0..<2 {
                    for (index, content) in contents.enumerated() {
                        let sha = Data(SHA256.hash(data: Array(content.readableBytesView))).base64EncodedString()
                        let method: HTTPRequest.Method = round == 0 ? .head : .get
                        try await client.execute(
                            uri: "/v1/namespaces/team/blobs/\(addresses[index])",
                            method: method,
                            headers: TestRequest.bearer(writer)
                        ) { response in
                            #expect(response.status == .ok)
                            #expect(response.headers[.eTag] == "\"\(addresses[index])\"")
                            #expect(response.headers[.contentLength] == "\(content.readableBytes)")
                            #expect(response.headers[HTTPField.Name("Content-Digest")!] == "sha-256=:\(sha):")
                            #expect(response.headers[HTTPField.Name("Repr-Digest")!] == "sha-256=:\(sha):")
                            if method == .get { #expect(response.body == content) }
                        }
                    }
                }
            }
        }
    }
}
