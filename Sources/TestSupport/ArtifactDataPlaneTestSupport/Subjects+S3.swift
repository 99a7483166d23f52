import ArtifactDataPlane
public import ArtifactDataPlaneConformance
import ArtifactDataPlaneLocal
import ArtifactStorage
import ArtifactStorageS3
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

extension Subjects {
    /// Two fresh buckets, each used under the prefix `root`. Taking a backend away deletes its
    /// bucket, so HeadBucket fails as it would for a bucket removed under a running server.
    public static func s3() async throws -> DataPlaneConformanceSubject {
        let prefix = "root"
        var connectors: [String: S3Connector] = [:]
        for id in [defaultID, otherID] {
            var configuration = try S3TestServer.configuration(bucket: S3TestServer.uniqueBucketName(prefix: "dp-"), prefix: prefix)
            configuration.partSize = 5 * 1024 * 1024
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
