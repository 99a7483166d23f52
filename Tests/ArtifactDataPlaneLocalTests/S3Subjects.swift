import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneLocal
import ArtifactStorage
import ArtifactStorageS3
import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// The S3-compatible server (moto_server on loopback) from `ARTIFACTSTORE_TEST_S3_ENDPOINT`,
/// e.g. `http://127.0.0.1:5055`.
enum S3TestServer {
    static let endpointText: String? = {
        let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_S3_ENDPOINT"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether the S3 runs can happen; says once, plainly, why they are skipped when not.
    static let isAvailable: Bool = {
        if endpointText == nil {
            print(
                "ArtifactDataPlaneLocalTests: LocalDataPlane on S3 SKIPPED: ARTIFACTSTORE_TEST_S3_ENDPOINT is not set "
                    + "(start `moto_server -H 127.0.0.1 -p 5055` and set it to http://127.0.0.1:5055)")
        }
        return endpointText != nil
    }()

    /// Any key works with moto.
    static let credentials = StorageCredentials(accessKeyID: "AKIDTESTING", secretAccessKey: "test-secret-not-real")

    static func configuration(bucket: String, prefix: String) throws -> S3Configuration {
        var configuration = S3Configuration(
            bucket: bucket,
            prefix: prefix,
            region: "us-east-1",
            endpoint: try S3Endpoint(parsing: endpointText ?? "http://127.0.0.1:1"),
            pathStyle: true,
            credentials: credentials
        )
        configuration.partSize = 5 * 1024 * 1024
        return configuration
    }

    /// Deletes every object and pending upload, then the bucket (best effort).
    static func removeBucket(_ client: S3Client) async {
        for upload in (try? await client.listMultipartUploads(prefix: "")) ?? [] {
            try? await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
        }
        var token: String?
        repeat {
            guard let page = try? await client.listObjectsV2(prefix: "", continuationToken: token) else { break }
            for object in page.objects { try? await client.deleteObject(key: object.key) }
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        try? await client.deleteBucket()
    }
}

extension Subjects {
    /// Two fresh buckets, each used under the prefix `root`. Taking a backend away deletes its
    /// bucket, so HeadBucket fails as it would for a bucket removed under a running server.
    static func s3() async throws -> DataPlaneConformanceSubject {
        let prefix = "root"
        var connectors: [String: S3Connector] = [:]
        for id in [defaultID, otherID] {
            let configuration = try S3TestServer.configuration(bucket: "dp-" + UUID().uuidString.lowercased(), prefix: prefix)
            let connector = try S3Connector(configuration: configuration, httpClient: .shared, logger: TestLogs.silent)
            try await connector.client.createBucket()
            connectors[id] = connector
        }
        let clients = connectors.mapValues(\.client)
        let dataPlane = try LocalDataPlane(
            backends: [.init(id: defaultID, connector: connectors[defaultID]!), .init(id: otherID, connector: connectors[otherID]!)],
            logger: TestLogs.silent
        )
        return DataPlaneConformanceSubject(
            dataPlane: dataPlane,
            defaultBackendID: defaultID,
            otherBackendID: otherID,
            storedObjects: { id in
                let client = clients[id]!
                var items: [String] = []
                var token: String?
                repeat {
                    let page = try await client.listObjectsV2(prefix: prefix + "/", continuationToken: token)
                    items += page.objects.map { String($0.key.dropFirst(prefix.count + 1)) }
                    token = page.isTruncated ? page.nextContinuationToken : nil
                } while token != nil
                items += try await client.listMultipartUploads(prefix: prefix + "/").map { "pending upload: \($0.key)" }
                return items.sorted()
            },
            corruptByte: { id, key, offset in
                let client = clients[id]!
                var bytes: [UInt8] = []
                for try await chunk in try await client.getObject(key: prefix + "/" + key).body {
                    bytes.append(contentsOf: chunk.readableBytesView)
                }
                bytes[Int(offset)] ^= 0xFF
                _ = try await client.putObject(key: prefix + "/" + key, body: ByteBuffer(bytes: bytes))
            },
            takeAway: { id in
                await S3TestServer.removeBucket(clients[id]!)
            },
            tearDown: {
                for client in clients.values { await S3TestServer.removeBucket(client) }
            }
        )
    }
}
