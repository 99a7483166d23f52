import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import ArtifactStoreAPI
import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

// Manifests in proxy namespaces: by digest, fetched once and then served from the store; by tag,
// served from the store while the tag's last check is younger than the TTL, else checked
// upstream (a `HEAD`, then a `GET` when the digest moved); an unreachable upstream leaves the
// cached manifest served with `Warning: 110` and `X-ArtifactStore-Stale: true`.
extension OCIDistributionAPI {
    /// The manifest `reference` names in a proxy namespace, as ``getManifest(_:reference:_:_:head:)`` answers.
    func proxiedManifest(
        _ proxy: OCIProxyConfiguration,
        _ repository: OCIRepositoryName,
        reference: String,
        _ context: ServerRequestContext,
        principal: Principal,
        head: Bool
    ) async throws -> Response {
        let isDigest = OCIDigest.isDigest(reference)
        let local = try await localManifest(repository, reference)
        if let local, isDigest { return try await serveManifest(repository, reference, local, head: head, stale: false) }
        let proxies = oci.proxies
        if let local,
            let checked = try await mappedOCI({
                try await proxies.tagCheckedAt(namespace: repository.namespace, artifact: repository.artifact, tag: reference)
            }),
            proxies.now() - checked < proxy.tagTTLSeconds * 1000
        {
            return try await serveManifest(repository, reference, local, head: head, stale: false)
        }
        guard proxy.admits(repository.artifact) else {
            if let local { return try await serveManifest(repository, reference, local, head: head, stale: false) }
            throw OCIError(.manifestUnknown, "\(repository) is not in the proxy's allowed repositories (its allow and deny globs)")
        }
        do {
            return try await refreshManifest(
                proxy,
                repository,
                reference: reference,
                local: local,
                context,
                principal: principal,
                head: head
            )
        } catch let unavailable as OCIUpstreamClient.Unavailable {
            guard let local else { throw OCIError(.unknown, unavailable.description, status: 502, underlying: unavailable) }
            context.logger.warning(
                "proxy served a stale manifest: the upstream is unavailable",
                metadata: ["repository": "\(repository)", "reference": "\(reference)", "reason": "\(unavailable.description)"]
            )
            return try await serveManifest(repository, reference, local, head: head, stale: true)
        }
    }

    /// Asks the upstream for `reference`: a `HEAD` first when a cached tag may still be current,
    /// else a `GET` whose manifest is stored. - Throws: ``OCIUpstreamClient/Unavailable`` when
    /// the upstream cannot answer.
    private func refreshManifest(
        _ proxy: OCIProxyConfiguration,
        _ repository: OCIRepositoryName,
        reference: String,
        local: OCIRegistry.StoredManifest?,
        _ context: ServerRequestContext,
        principal: Principal,
        head: Bool
    ) async throws -> Response {
        let client = upstream(proxy, context)
        let upstreamRepository = proxy.upstreamRepository(repository.artifact)
        if let local {
            let answer = try await client.send(
                .HEAD,
                repository: upstreamRepository,
                path: "manifests/\(reference)",
                accept: OCIUpstreamClient.manifestAccept,
                deadline: .now() + .seconds(60)
            )
            try await OCIUpstreamClient.drain(answer)
            if answer.status == .ok, answer.headers.first(name: "Docker-Content-Digest") == local.digest.description {
                try await recordTagCheck(repository, reference)
                return try await serveManifest(repository, reference, local, head: head, stale: false)
            }
            if answer.status.code >= 500 || answer.status.code == 429 {
                throw OCIUpstreamClient.Unavailable(description: "the upstream \(proxy.upstream) answered \(answer.status.code)")
            }
        }
        let answer = try await client.send(
            .GET,
            repository: upstreamRepository,
            path: "manifests/\(reference)",
            accept: OCIUpstreamClient.manifestAccept,
            deadline: .now() + .seconds(60)
        )
        let bytes = try await manifestBytes(answer, proxy, repository, reference)
        // By tag there is no digest of ours to check the bytes against: the upstream's own
        // Docker-Content-Digest, when it sends one, must be theirs.
        if let named = answer.headers.first(name: "Docker-Content-Digest"), named.hasPrefix("sha256:"),
            let parsed = try? OCIManifest(bytes: bytes, contentType: answer.headers.first(name: "Content-Type")),
            parsed.digest.description != named
        {
            context.logger.warning(
                "proxy refused an upstream manifest",
                metadata: ["repository": "\(repository)", "error": "digest mismatch"]
            )
            throw OCIError(
                .unknown,
                "the upstream \(proxy.upstream) sent a manifest for \(reference) whose bytes do not hash to \(named)",
                status: 502
            )
        }
        let refusal: OCIError?
        do {
            _ = try await oci.cacheManifest(
                repository,
                reference: reference,
                bytes: bytes,
                contentType: answer.headers.first(name: "Content-Type"),
                context: context.auditContext(principal)
            )
            refusal = nil
        } catch {
            refusal = error
        }
        if let refusal {
            guard refusal.kind == .digestInvalid || refusal.kind == .manifestInvalid else { throw refusal }
            context.logger.warning(
                "proxy refused an upstream manifest",
                metadata: ["repository": "\(repository)", "error": "\(refusal.message)"]
            )
            throw OCIError(
                .unknown,
                "the upstream \(proxy.upstream) sent a manifest for \(reference) that was refused: \(refusal.message)",
                status: 502
            )
        }
        if !OCIDigest.isDigest(reference) { try await recordTagCheck(repository, reference) }
        guard let stored = try await localManifest(repository, reference) else {
            throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository)")
        }
        return try await serveManifest(repository, reference, stored, head: head, stale: false)
    }

    /// An upstream manifest answer's bytes, bounded by ``OCIManifest/maximumSize``.
    private func manifestBytes(
        _ answer: HTTPClientResponse,
        _ proxy: OCIProxyConfiguration,
        _ repository: OCIRepositoryName,
        _ reference: String
    ) async throws -> [UInt8] {
        switch answer.status.code {
        case 200:
            if let text = answer.headers.first(name: "Content-Length"), let length = Int(text), length > OCIManifest.maximumSize {
                try? await OCIUpstreamClient.drain(answer)
                throw OCIError(
                    .unknown,
                    "the upstream \(proxy.upstream) announced a manifest over \(OCIManifest.maximumSize) bytes",
                    status: 502
                )
            }
            do {
                return Array(try await answer.body.collect(upTo: OCIManifest.maximumSize).readableBytesView)
            } catch {
                throw OCIUpstreamClient.Unavailable(
                    description:
                        "the upstream \(proxy.upstream) sent a manifest over \(OCIManifest.maximumSize) bytes or failed while sending it"
                )
            }
        case 404:
            try? await OCIUpstreamClient.drain(answer)
            throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository) nor in its upstream")
        case 401, 403:
            try? await OCIUpstreamClient.drain(answer)
            throw OCIError(
                .manifestUnknown,
                "the upstream \(proxy.upstream) refused the proxy's pull of \(reference) (check the proxy's credentials)"
            )
        default:
            try? await OCIUpstreamClient.drain(answer)
            throw OCIUpstreamClient.Unavailable(description: "the upstream \(proxy.upstream) answered \(answer.status.code)")
        }
    }

    private func localManifest(_ repository: OCIRepositoryName, _ reference: String) async throws -> OCIRegistry.StoredManifest? {
        let missing: OCIError
        do {
            return try await oci.manifest(repository, reference: reference)
        } catch {
            missing = error
        }
        guard missing.kind == .manifestUnknown || missing.kind == .nameUnknown else { throw missing }
        return nil
    }

    private func recordTagCheck(_ repository: OCIRepositoryName, _ tag: String) async throws {
        let proxies = oci.proxies
        try await mappedOCI { try await proxies.recordTagCheck(namespace: repository.namespace, artifact: repository.artifact, tag: tag) }
    }

    func serveManifest(
        _ repository: OCIRepositoryName,
        _ reference: String,
        _ manifest: OCIRegistry.StoredManifest,
        head: Bool,
        stale: Bool
    ) async throws -> Response {
        let digest = OCIDigest.answered(reference: reference, digest: manifest.digest)
        var headers: HTTPFields = [
            .contentType: manifest.mediaType, .contentLength: "\(manifest.size)", OCIHeader.contentDigest: digest, .eTag: "\"\(digest)\"",
        ]
        if stale {
            headers[Self.staleWarning] = #"110 - "Response is Stale""#
            headers[Self.staleMarker] = "true"
        }
        // "Unused for N days" counts from the last pull (at most one write an hour per manifest).
        let proxies = oci.proxies
        try await mappedOCI {
            try await proxies.recordUse(namespace: repository.namespace, artifact: repository.artifact, version: manifest.version)
        }
        if head { return Response(status: .ok, headers: headers) }
        let stream = try await oci.openManifest(repository, manifest)
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream))
    }

    func mappedOCI<R: Sendable>(_ body: () async throws -> R) async throws(OCIError) -> R {
        do {
            return try await body()
        } catch {
            throw OCIError(mapping: error)
        }
    }
}
