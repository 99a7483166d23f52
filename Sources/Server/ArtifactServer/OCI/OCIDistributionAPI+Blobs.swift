import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactOCI
import ArtifactStoreAPI
import HTTPTypes
import Hummingbird

// Blob HEAD and GET (whole or one Range), found by digest in the repository's namespace; a GET is
// redirected (307) to a presigned URL where the blob's backend offers one.
extension OCIDistributionAPI {
    func getBlob(
        _ repository: OCIRepositoryName,
        digest text: String,
        _ request: Request,
        _ context: ServerRequestContext,
        head: Bool
    ) async throws -> Response {
        let principal = try await authorize(.read, repository, context)
        let digest = try OCIDigest.parseBlob(text)
        // A proxy namespace fetches what it lacks (OCIDistributionAPI+Proxy).
        let blob: LinkedBlob
        switch try await blobOrPullThrough(repository, digest, request, context, principal: principal, head: head) {
        case .stored(let stored): blob = stored
        case .answered(let response): return response
        }
        let kept = blobAnswerFields.fields(for: digest) {
            BlobFields(identity: Self.identityFields(digest), contentLength: HTTPField(name: .contentLength, value: "\(blob.size)"))
        }
        var headers = Self.blobFields(identity: kept.identity)
        let start = ContinuousClock.now
        switch head ? .whole : HTTPRangeHeader.resolve(request.headers[.range], size: blob.size) {
        case .unsatisfiable:
            // `blob` may be a cached fact: a blob deleted since is BLOB_UNKNOWN, whatever the range.
            try await oci.currentBlob(repository, blob)
            let refusal = OCIError(
                .rangeInvalid,
                "range \"\(NameGrammar.printable(request.headers[.range] ?? ""))\" is outside blob \(digest) of \(blob.size) bytes"
            )
            var response = OCIErrorResponse.response(for: refusal, method: request.method)
            response.headers[.contentRange] = "bytes */\(blob.size)"
            return response
        case .whole:
            if !head, let redirect = try await redirect(repository, blob) { return redirect.response(headers) }
            headers.append(kept.contentLength)
            if head { return Response(status: .ok, headers: headers) }
            let stream = try await oci.openBlob(repository, blob, range: nil)
            metrics.recordServe(duration: ContinuousClock.now - start)
            return Response(status: .ok, headers: headers, body: DownloadBody.make(stream, channel: context.channel, metrics: metrics))
        case .partial(let range):
            if let redirect = try await redirect(repository, blob) { return redirect.response(headers) }
            headers.append(HTTPField(name: .contentLength, value: "\(range.count)"))
            headers.append(HTTPField(name: .contentRange, value: "bytes \(range.first)-\(range.last)/\(blob.size)"))
            let stream = try await oci.openBlob(repository, blob, range: range)
            metrics.recordServe(duration: ContinuousClock.now - start)
            return Response(
                status: .partialContent,
                headers: headers,
                body: DownloadBody.make(stream, channel: context.channel, metrics: metrics)
            )
        }
    }

    /// The fields of an answer with the bytes of blob `digest`, but for its length: a stored blob
    /// and a proxied one (OCIDistributionAPI+Proxy) answer with the same. The fixed ones are
    /// checked once (``HTTPField/octetStream``), and the digest is written out once.
    static func blobFields(_ digest: OCIBlobDigest) -> HTTPFields {
        blobFields(identity: identityFields(digest))
    }

    /// The fixed fields, then `identity` (``identityFields(_:)``, kept per blob for stored
    /// blobs: ``BlobAnswerFields``).
    static func blobFields(identity: [HTTPField]) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(6)
        fields.append(.octetStream)
        fields.append(.acceptRangesBytes)
        fields.append(contentsOf: identity)
        return fields
    }

    /// What a stored blob's `/v2` answers carry besides the fixed fields, built once per blob
    /// (``BlobAnswerFields``).
    struct BlobFields: Sendable {
        /// ``identityFields(_:)``.
        let identity: [HTTPField]
        /// `Content-Length` of the whole blob.
        let contentLength: HTTPField
    }

    /// `ETag` and `Docker-Content-Digest` of blob `digest`.
    static func identityFields(_ digest: OCIBlobDigest) -> [HTTPField] {
        let digestText = digest.description
        return [HTTPField(name: .eTag, value: "\"\(digestText)\""), HTTPField(name: OCIHeader.contentDigest, value: digestText)]
    }

    /// The backend's presigned URL for `blob`, or `nil` to serve it here
    /// (``Registry/downloadRedirect(namespace:address:)``).
    private func redirect(_ repository: OCIRepositoryName, _ blob: LinkedBlob) async throws -> DownloadRedirect? {
        do {
            return try await controlPlane.registry.downloadRedirect(namespace: repository.namespace, address: blob.address)
        } catch {
            throw OCIError(mapping: error)
        }
    }
}
