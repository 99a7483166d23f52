import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

// Manifests by tag or digest (PUT, GET, HEAD, DELETE) and the referrers API.
extension OCIDistributionAPI {
    func putManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        let principal = try await authorizePush(repository, context)
        let tooLarge = OCIError(.manifestInvalid, "a manifest may have at most \(OCIManifest.maximumSize) bytes", status: 413)
        let length = Self.contentLength(request)
        if let length, length > UInt64(OCIManifest.maximumSize) { throw tooLarge }
        // The body is read only once admitted: a large manifest waits, unread, for the one before.
        let store = { () async throws -> OCIManifest in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: OCIManifest.maximumSize)
            } catch {
                throw tooLarge
            }
            return try await oci.putManifest(
                repository,
                reference: reference,
                body: buffer,
                contentType: request.headers[.contentType],
                context: context.auditContext(principal)
            )
        }
        let manifest = OCIManifestAdmission.isLarge(contentLength: length) ? try await largeManifests.admitted(store) : try await store()
        let digest = OCIDigest.answered(reference: reference, digest: manifest.digest)
        var headers: HTTPFields = [
            OCIHeader.location: "/v2/\(repository)/manifests/\(digest)", OCIHeader.contentDigest: digest, .contentLength: "0",
        ]
        if let subject = manifest.subject { headers[OCIHeader.subject] = "\(subject)" }
        return Response(status: .created, headers: headers)
    }

    func getManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        _ request: Request,
        _ context: ServerRequestContext,
        head: Bool
    ) async throws -> Response {
        let principal = try await authorize(.read, repository, context)
        if let proxy = try await proxyConfiguration(repository) {
            return try await proxiedManifest(proxy, repository, reference: reference, context, principal: principal, head: head)
        }
        let manifest = try await oci.manifest(repository, reference: reference)
        let digest = OCIDigest.answered(reference: reference, digest: manifest.digest)
        if !head { await recordPull(repository, reference: reference, digest: "\(manifest.digest)", principal: principal, context) }
        let headers: HTTPFields = [
            .contentType: manifest.mediaType, .contentLength: "\(manifest.size)", OCIHeader.contentDigest: digest, .eTag: "\"\(digest)\"",
        ]
        if head { return Response(status: .ok, headers: headers) }
        let stream = try await oci.openManifest(repository, manifest)
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream))
    }

    /// A `pull` webhook event, for endpoints that asked for pulls; the pull is answered either way.
    private func recordPull(
        _ repository: OCIRepositoryName,
        reference: String,
        digest: String,
        principal: Principal,
        _ context: ServerRequestContext
    ) async {
        do {
            try await controlPlane.webhooks.record(
                .pull,
                namespace: repository.namespace,
                subject: "\(repository.namespace)/\(repository.artifact):\(reference)",
                digests: [digest],
                context: context.auditContext(principal)
            )
        } catch {
            context.logger.error("recording a pull webhook event failed", metadata: ["error": "\(error.message)"])
        }
    }

    func deleteManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        let principal = try await authorize(.write, repository, context)
        try await oci.deleteManifest(repository, reference: reference, context: context.auditContext(principal))
        return Response(status: .accepted, headers: [.contentLength: "0"])
    }

    /// The referrers of a digest as an image index; `artifactType` filters (and is then named in
    /// `OCI-Filters-Applied`).
    func referrers(
        _ repository: OCIRepositoryName,
        digest text: String,
        _ request: Request,
        _ context: ServerRequestContext
    ) async throws -> Response {
        _ = try await authorize(.read, repository, context)
        let subject = try OCIDigest.parse(text)
        let artifactType = request.query("artifactType").flatMap { $0.isEmpty ? nil : $0 }
        let records = try await oci.referrers(repository, subject: subject, artifactType: artifactType)
        let descriptors: [[String: Any]] = records.map { record in
            var descriptor: [String: Any] = ["mediaType": record.mediaType, "digest": record.digest, "size": record.size]
            if let type = record.artifactType { descriptor["artifactType"] = type }
            if let text = record.annotations, let annotations = try? JSONSerialization.jsonObject(with: Data(text.utf8)) {
                descriptor["annotations"] = annotations
            }
            return descriptor
        }
        let index: [String: Any] = ["schemaVersion": 2, "mediaType": OCIManifest.imageIndex, "manifests": descriptors]
        var response = Self.json(index, head: false, contentType: OCIManifest.imageIndex)
        if artifactType != nil { response.headers[OCIHeader.filtersApplied] = "artifactType" }
        return response
    }
}
