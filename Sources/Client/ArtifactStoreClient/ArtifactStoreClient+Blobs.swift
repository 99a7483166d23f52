public import ArtifactIdentity
public import ArtifactStoreAPI
import ArtifactStoreCore
import AsyncHTTPClient
import NIOCore
import NIOFileSystem
import NIOFoundationCompat
import NIOHTTP1

extension ArtifactStoreClient {
    /// Read size for uploads and local hashing.
    static let chunkLength = ByteCount.mebibytes(1)

    /// Whether `digest` is linked into `namespace` (`HEAD`); a blob stored only by another
    /// namespace is reported missing, exactly like one never stored.
    public func blobExists(_ digest: Digest, in namespace: String) async throws -> Bool {
        let request = makeRequest(.HEAD, ["namespaces", namespace, "blobs", digest.description])
        let response = try await execute(request)
        switch response.status.code {
        case 200: return true
        case 404: return false
        default:
            let body = try await readBody(response, what: request.url)
            throw Self.serverError(status: Int(response.status.code), body: body, request: request)
        }
    }

    /// Uploads the file at `path` as a blob of `namespace`, streamed from disk, with the digest
    /// and size the caller computed: the server refuses (and stores nothing) if the bytes differ.
    ///
    /// - Parameter progress: called with the size of each chunk as it is handed to the connection.
    public func uploadBlob(
        fromFile path: String,
        expected digest: Digest,
        size: UInt64,
        into namespace: String,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> BlobBody {
        var request = makeRequest(
            .POST,
            ["namespaces", namespace, "blobs"],
            query: [("digest", digest.description), ("size", String(size))]
        )
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        return try await LocalFiles.withReadHandle(path) { handle in
            let chunks = handle.readChunks(in: 0..<Int64(size), chunkLength: Self.chunkLength)
            request.body = .stream(ByteCountingSequence(base: chunks, observe: progress ?? { _ in }), length: .known(Int64(size)))
            let response = try await execute(request, timeout: .hours(24 * 7))
            let body = try await readBody(response, what: request.url)
            guard response.status.code == 201 || response.status.code == 200 else {
                throw Self.serverError(status: Int(response.status.code), body: body, request: request)
            }
            do {
                return try APIJSON.decoder().decode(BlobBody.self, from: body)
            } catch {
                throw ClientError(.badResponse, "the server's answer to the upload of \(path) is not a blob: \(error)", underlying: error)
            }
        }
    }
}
