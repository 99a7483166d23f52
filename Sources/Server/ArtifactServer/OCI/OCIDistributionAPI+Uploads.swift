import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import ArtifactStoreAPI
import ArtifactStoreCore
import Foundation
import HTTPTypes
import Hummingbird

// Blob uploads: monolithic (POST ?digest=, or POST then PUT with the body), chunked (PATCH with
// Content-Range, status by GET, closing PUT ?digest=), cross-repository mount, cancel.
extension OCIDistributionAPI {
    func startUpload(_ repository: OCIRepositoryName, _ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try await authorizePush(repository, context)
        let audit = context.auditContext(principal)
        if let mountText = request.query("mount") {
            let digest = try OCIDigest.parseBlob(mountText)
            if let fromText = request.query("from"),
                let source = try? OCIRepositoryName(parsing: fromText, defaultNamespace: naming.defaultNamespace),
                case .allow = try await controlPlane.auth.authorize(
                    token: context.credential,
                    user: context.basicUser,
                    scope: .read,
                    namespace: source.namespace,
                    repository: "\(source)",
                    context: anonymous(context)
                ),
                try await oci.mount(repository, digest: digest, from: source, context: audit) != nil
            {
                return Self.created(blobLocation(repository, digest), digest: digest)
            }
            // Not mountable: an ordinary upload session instead, as the spec says.
        } else if let digestText = request.query("digest") {
            let digest = try OCIDigest.parseBlob(digestText)
            _ = try await ingest(repository, digest: digest, request, audit)
            return Self.created(blobLocation(repository, digest), digest: digest)
        }
        let session = try await oci.startUpload(repository, context: audit)
        return Self.uploadAccepted(repository, session, status: .accepted)
    }

    func uploadStatus(
        _ repository: OCIRepositoryName,
        id: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        _ = try await authorize(.write, repository, context)
        let session = try await oci.upload(repository, id: id)
        return Self.uploadAccepted(repository, session, status: .noContent)
    }

    func patchUpload(
        _ repository: OCIRepositoryName,
        id: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        let principal = try await authorize(.write, repository, context)
        let range = try request.headers[.contentRange].map(Self.parseContentRange)
        var size = Self.contentLength(request)
        if let range {
            if let size, size != range.count {
                throw OCIError(.sizeInvalid, "Content-Range covers \(range.count) bytes but Content-Length is \(size)")
            }
            size = range.count
        }
        let session = try await oci.appendChunk(
            repository,
            id: id,
            start: range?.start,
            body: body(request),
            size: size,
            context: context.auditContext(principal)
        )
        return Self.uploadAccepted(repository, session, status: .accepted)
    }

    func finishUpload(
        _ repository: OCIRepositoryName,
        id: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        let principal = try await authorize(.write, repository, context)
        guard let digestText = request.query("digest") else {
            throw OCIError(.digestInvalid, "closing an upload needs ?digest=")
        }
        let digest = try OCIDigest.parseBlob(digestText)
        let length = Self.contentLength(request)
        let hasBody = length.map { $0 > 0 } ?? (request.headers[.transferEncoding] != nil)
        _ = try await oci.finishUpload(
            repository,
            id: id,
            digest: digest,
            finalBody: hasBody ? body(request) : nil,
            finalSize: length,
            context: context.auditContext(principal)
        )
        return Self.created(blobLocation(repository, digest), digest: digest)
    }

    func cancelUpload(
        _ repository: OCIRepositoryName,
        id: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        let principal = try await authorize(.write, repository, context)
        try await oci.cancelUpload(repository, id: id, context: context.auditContext(principal))
        return Response(status: .noContent, headers: [.contentLength: "0"])
    }

    // MARK: Helpers

    /// The request body streamed into the data plane, counted for the metrics (never collected).
    func body(_ request: Request) -> ByteStream {
        metrics.countingReceived(request.body)
    }

    func ingest(
        _ repository: OCIRepositoryName,
        digest: OCIBlobDigest,
        _ request: Request,
        _ audit: ArtifactControlPlane.RequestContext
    ) async throws -> LinkedBlob {
        let start = ContinuousClock.now
        do {
            let blob = try await oci.ingest(
                repository,
                digest: digest,
                body: body(request),
                size: Self.contentLength(request),
                context: audit
            )
            metrics.recordIngest(duration: ContinuousClock.now - start, deduplicated: blob.deduplicated, repaired: blob.repaired)
            return blob
        } catch {
            metrics.recordIngest(duration: ContinuousClock.now - start, deduplicated: nil)
            throw error
        }
    }

    /// Where the blob is, named by the digest the client used (`Docker-Content-Digest` too).
    func blobLocation(_ repository: OCIRepositoryName, _ digest: OCIBlobDigest) -> String {
        "/v2/\(repository)/blobs/\(digest)"
    }

    static func contentLength(_ request: Request) -> UInt64? {
        request.headers[.contentLength].flatMap { UInt64($0) }
    }

    /// `Content-Range: <start>-<end>` (inclusive), as the spec writes it; `bytes ` or `bytes=`
    /// before it and `/<total>` after it are tolerated.
    static func parseContentRange(_ header: String) throws(OCIError) -> (start: UInt64, count: UInt64) {
        var text = Substring(header.trimmingCharacters(in: .whitespaces))
        for prefix in ["bytes=", "bytes "] where text.lowercased().hasPrefix(prefix) { text = text.dropFirst(prefix.count) }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = UInt64(bounds[0]), let last = UInt64(bounds[1]), last >= first else {
            throw OCIError(.rangeInvalid, "Content-Range \"\(NameGrammar.printable(header))\" is not <start>-<end>", status: 416)
        }
        return (first, last - first + 1)
    }

    static func created(_ location: String, digest: OCIBlobDigest) -> Response {
        Response(status: .created, headers: [OCIHeader.location: location, OCIHeader.contentDigest: "\(digest)", .contentLength: "0"])
    }

    static func uploadAccepted(_ repository: OCIRepositoryName, _ session: OCIUploadSession, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                OCIHeader.location: "/v2/\(repository)/blobs/uploads/\(session.id)", OCIHeader.range: OCIHeader.rangeValue(session.offset),
                OCIHeader.uploadUUID: session.id, .contentLength: "0",
            ]
        )
    }
}
