import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// Blob upload, download and verification, and file download inside a version.
extension APIHandlers {
    /// Streams the request body into the data plane: never collated, so memory does not grow
    /// with the size. The expected size is the `size` query parameter or else `Content-Length`,
    /// so a body that ends early is refused by the data plane too; nothing is stored or linked
    /// on any refusal.
    func uploadBlob(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        var hints = IngestHints()
        if let text = request.query("digest") {
            hints.expectedDigest = try Digest(parsing: text)
        }
        let contentLength = request.headers[.contentLength].flatMap { UInt64($0) }
        if let text = request.query("size") {
            guard let size = UInt64(text) else {
                throw HTTPAPIError(.badRequest, "query parameter size must be a byte count, not \"\(NameGrammar.printable(text))\"")
            }
            if let contentLength, contentLength != size {
                throw DataPlaneError(.sizeMismatch, "expected size \(size) but Content-Length is \(contentLength); nothing was stored")
            }
            hints.expectedSize = size
        } else {
            hints.expectedSize = contentLength
        }
        hints.sizeHint = hints.expectedSize
        let body = metrics.countingReceived(request.body)
        let start = ContinuousClock.now
        do {
            let blob = try await controlPlane.registry.ingestBlob(
                namespace: namespace,
                body,
                hints: hints,
                context: context.auditContext(principal)
            )
            metrics.recordIngest(duration: ContinuousClock.now - start, deduplicated: blob.deduplicated, repaired: blob.repaired)
            let body = BlobBody(blob)
            var response =
                try body.directJSON().map { JSONResponse.make(json: $0, status: .created) } ?? JSONResponse.make(body, status: .created)
            response.headers[HTTPField.Name("Location")!] = "/v1/namespaces/\(namespace)/blobs/\(blob.address)"
            return response
        } catch {
            metrics.recordIngest(duration: ContinuousClock.now - start, deduplicated: nil)
            throw error
        }
    }

    func serveBlob(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?, head: Bool) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        let digest = try Digest(parsing: try PathParameter.name(context, "digest"))
        let blob = try await controlPlane.registry.blob(namespace: namespace, digest: digest)
        return try await respondWithBytes(
            request,
            context,
            blob: blob,
            head: head,
            redirect: { try await controlPlane.registry.downloadRedirect(namespace: namespace, address: blob.address) },
            open: { range in try await controlPlane.registry.openBlob(namespace: namespace, address: blob.address, range: range) },
            confirm: { _ = try await controlPlane.registry.currentBlob(namespace: namespace, address: blob.address) }
        )
    }

    func serveFile(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?, head: Bool) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        let path = try PathParameter.filePath(context)
        let resolved = try await controlPlane.registry.resolveFile(namespace: namespace, artifact: artifact, version: version, path: path)
        var response = try await respondWithBytes(
            request,
            context,
            blob: resolved.blob,
            head: head,
            redirect: { try await controlPlane.registry.downloadRedirect(resolved) },
            open: { range in try await controlPlane.registry.open(resolved, range: range) }
        )
        if response.status != .notModified, response.status != .temporaryRedirect {
            response.headers[.contentType] = resolved.file.mediaType
        }
        return response
    }

    func verifyBlob(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        let digest = try Digest(parsing: try PathParameter.name(context, "digest"))
        let blob = try await controlPlane.registry.blob(namespace: namespace, digest: digest)
        return try JSONResponse.make(try await controlPlane.registry.verifyBlob(namespace: namespace, address: blob.address))
    }

    /// The bytes of `blob` with `ETag`, `Content-Digest`/`Repr-Digest`, `Accept-Ranges`,
    /// `If-None-Match` (304) and `Range` (206/416). The stream is opened only for a GET that
    /// sends bytes, and flows to the client with back-pressure. A GET whose range can be
    /// satisfied is answered `307` when `redirect` gives a URL (a backend with presigned
    /// downloads): the client resends the request, `Range` included, to the object store.
    func respondWithBytes(
        _ request: Request,
        _ context: ServerRequestContext,
        blob: LinkedBlob,
        head: Bool,
        redirect: @Sendable () async throws -> DownloadRedirect?,
        open: @Sendable (ByteRange?) async throws -> ByteStream,
        confirm: @Sendable () async throws -> Void = {}
    ) async throws -> Response {
        let start = ContinuousClock.now
        let fields = blobAnswerFields.fields(for: blob.address) { BlobFields(blob) }
        // Appended, not set by name: no field is there twice, and each set searched the fields.
        var headers = HTTPFields()
        headers.reserveCapacity(7)
        headers.append(fields.eTag)
        headers.append(.acceptRangesBytes)
        headers.append(fields.reprDigest)
        if let ifNoneMatch = request.headers[.ifNoneMatch], Self.matches(ifNoneMatch, etag: fields.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers.append(.octetStream)
        let resolution = head ? .whole : HTTPRangeHeader.resolve(request.headers[.range], size: blob.size)
        switch resolution {
        case .unsatisfiable:
            // `blob` may be a cached fact: a blob deleted since is not found, whatever the range.
            try await confirm()
            throw RangeNotSatisfiable(
                size: blob.size,
                message: "range \"\(request.headers[.range] ?? "")\" is outside blob \(blob.address) of \(blob.size) bytes"
            )
        case .whole:
            if !head, let redirect = try await redirect() { return redirect.response(headers) }
            headers.append(fields.contentLength)
            headers.append(fields.contentDigest)
            if head { return Response(status: .ok, headers: headers) }
            let stream = try await open(nil)
            metrics.recordServe(duration: ContinuousClock.now - start)
            return Response(status: .ok, headers: headers, body: DownloadBody.make(stream, channel: context.channel, metrics: metrics))
        case .partial(let range):
            if let redirect = try await redirect() { return redirect.response(headers) }
            headers.append(HTTPField(name: .contentLength, value: "\(range.count)"))
            headers.append(HTTPField(name: .contentRange, value: "bytes \(range.first)-\(range.last)/\(blob.size)"))
            let stream = try await open(range)
            metrics.recordServe(duration: ContinuousClock.now - start)
            return Response(
                status: .partialContent,
                headers: headers,
                body: DownloadBody.make(stream, channel: context.channel, metrics: metrics)
            )
        }
    }

    /// What every `/v1` answer with a blob's bytes carries besides the fixed fields, built once
    /// per blob (``BlobAnswerFields``).
    struct BlobFields: Sendable {
        /// The `ETag` value, for `If-None-Match`.
        let etag: String
        let eTag: HTTPField
        let reprDigest: HTTPField
        /// `Content-Length` of the whole blob.
        let contentLength: HTTPField
        let contentDigest: HTTPField

        init(_ blob: LinkedBlob) {
            etag = "\"\(blob.address)\""
            let sha256 = "sha-256=:\(blob.sha256.base64):"
            eTag = HTTPField(name: .eTag, value: etag)
            reprDigest = HTTPField(name: APIHandlers.reprDigest, value: sha256)
            contentLength = HTTPField(name: .contentLength, value: "\(blob.size)")
            contentDigest = HTTPField(name: APIHandlers.contentDigest, value: sha256)
        }
    }

    /// RFC 9530 header names, parsed once rather than on every blob response.
    static let reprDigest = HTTPField.Name("Repr-Digest")!
    static let contentDigest = HTTPField.Name("Content-Digest")!

    /// Whether an `If-None-Match` list names `etag` (weak comparison) or is `*`.
    static func matches(_ ifNoneMatch: String, etag: String) -> Bool {
        ifNoneMatch.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}
