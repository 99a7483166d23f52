import ArtifactControlPlane
import ArtifactStoreTestSupport
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Bytes, digests, manifests and requests the OCI tests share.
enum OCITest {
    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        [UInt8](count: count) { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 8)) }
    }

    static func digest(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func sha512(_ bytes: [UInt8]) -> String {
        "sha512:" + SHA512.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func headers(_ token: String?, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        for (name, value) in extra { fields[name] = value }
        return fields
    }

    static let location = HTTPField.Name("Location")!
    static let contentDigest = HTTPField.Name("Docker-Content-Digest")!
    static let uploadUUID = HTTPField.Name("Docker-Upload-UUID")!
    static let range = HTTPField.Name("Range")!
    static let apiVersion = HTTPField.Name("Docker-Distribution-API-Version")!
    static let subject = HTTPField.Name("OCI-Subject")!
    static let filtersApplied = HTTPField.Name("OCI-Filters-Applied")!
    static let link = HTTPField.Name("Link")!

    /// An image manifest over `config` and `layers` (digest, size), optionally with a subject
    /// and an artifact type.
    static func manifest(
        config: [UInt8],
        layers: [[UInt8]],
        subject: (String, Int)? = nil,
        artifactType: String? = nil,
        annotations: [String: String]? = nil
    ) -> [UInt8] {
        var object: [String: Any] = [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": config.count],
            "layers": layers.map { ["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest($0), "size": $0.count] },
        ]
        if let subject {
            object["subject"] = ["mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject.0, "size": subject.1]
        }
        if let artifactType { object["artifactType"] = artifactType }
        if let annotations { object["annotations"] = annotations }
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Pushes `bytes` as one blob with `POST ?digest=`.
    static func pushBlob(_ client: any TestClientProtocol, _ repository: String, _ bytes: [UInt8], token: String) async throws {
        try await client.execute(
            uri: "/v2/\(repository)/blobs/uploads/?digest=\(digest(bytes))",
            method: .post,
            headers: headers(token),
            body: ByteBuffer(bytes: bytes)
        ) { response in
            #expect(response.status == .created)
        }
    }

    /// Starts an upload session; returns its `Location`.
    static func startUpload(_ client: any TestClientProtocol, _ repository: String, token: String) async throws -> String {
        try await client.execute(uri: "/v2/\(repository)/blobs/uploads/", method: .post, headers: headers(token)) { response in
            #expect(response.status == .accepted)
            return try #require(response.headers[location])
        }
    }

    /// Pushes a manifest under `reference`; returns its digest.
    @discardableResult
    static func pushManifest(
        _ client: any TestClientProtocol,
        _ repository: String,
        _ reference: String,
        _ bytes: [UInt8],
        token: String
    ) async throws -> String {
        try await client.execute(
            uri: "/v2/\(repository)/manifests/\(reference)",
            method: .put,
            headers: headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
            body: ByteBuffer(bytes: bytes)
        ) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.headers[contentDigest] == digest(bytes))
        }
        return digest(bytes)
    }
}

extension TestResponse {
    /// `errors[0].code` of an OCI error body.
    var ociErrorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let errors = object["errors"] as? [[String: Any]]
        else { return nil }
        return errors.first?["code"] as? String
    }

    var jsonObject: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}
