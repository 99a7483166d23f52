import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import ArtifactStoreAPI
import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

// Pull-through in proxy namespaces (docs/oci.md, "Proxy namespaces"): a manifest or blob the
// namespace lacks is fetched from the upstream, verified, stored once and served; tags are
// re-checked after their TTL; an unreachable upstream leaves cached content served, marked stale.
extension OCIDistributionAPI {
    static let staleWarning = HTTPField.Name("Warning")!
    static let staleMarker = HTTPField.Name("X-ArtifactStore-Stale")!
    /// Largest blob a proxy accepts from an upstream (its `Content-Length`).
    static let maximumProxiedBlob: UInt64 = 64 << 30

    /// `repository`'s proxy configuration, or `nil` for an ordinary namespace.
    func proxyConfiguration(_ repository: OCIRepositoryName) async throws(OCIError) -> OCIProxyConfiguration? {
        do {
            return try await oci.proxies.configuration(repository.namespace)
        } catch {
            throw OCIError(mapping: error)
        }
    }

    /// Writes into a proxy namespace are refused: its content is the upstream's.
    func refuseWriteToProxy(_ repository: OCIRepositoryName, _ context: ServerRequestContext) async throws {
        _ = try await authorize(.write, repository, context)
        if let proxy = try await proxyConfiguration(repository) {
            throw OCIError(
                .denied,
                "namespace \"\(repository.namespace)\" is a proxy of \(proxy.upstream.absoluteString); "
                    + "it is read-only: push to the upstream"
            )
        }
    }

    func upstream(_ proxy: OCIProxyConfiguration, _ context: ServerRequestContext) -> OCIUpstreamClient {
        OCIUpstreamClient(configuration: proxy, tokens: proxyPuller.tokens, logger: context.logger)
    }

    // MARK: Blobs

    enum BlobLookup {
        case stored(LinkedBlob)
        case answered(Response)
    }

    /// The blob the namespace has; in a proxy namespace that lacks it, what ``pullThroughBlob`` answers.
    func blobOrPullThrough(
        _ repository: OCIRepositoryName,
        _ digest: OCIBlobDigest,
        _ request: Request,
        _ context: ServerRequestContext,
        principal: Principal,
        head: Bool
    ) async throws -> BlobLookup {
        let missing: OCIError
        do {
            return .stored(try await oci.blob(repository, digest: digest))
        } catch {
            missing = error
        }
        guard missing.kind == .blobUnknown, let proxy = try await proxyConfiguration(repository) else { throw missing }
        if let answer = try await pullThroughBlob(proxy, repository, digest, request, context, principal: principal, head: head) {
            return .answered(answer)
        }
        return .stored(try await oci.blob(repository, digest: digest))
    }

    /// A blob the proxy namespace lacks: a `HEAD` is answered from the upstream's `HEAD`; a whole
    /// `GET` that starts the fetch streams it (proved chunks only); any other pull waits for the
    /// fetch and returns `nil`, so the caller serves the stored blob.
    func pullThroughBlob(
        _ proxy: OCIProxyConfiguration,
        _ repository: OCIRepositoryName,
        _ digest: OCIBlobDigest,
        _ request: Request,
        _ context: ServerRequestContext,
        principal: Principal,
        head: Bool
    ) async throws -> Response? {
        guard case .sha256(let sha256) = digest, proxy.admits(repository.artifact) else {
            throw OCIError(
                .blobUnknown,
                "blob \(digest) is not in \(repository), and the proxy does not fetch it (sha512, or an artifact its globs exclude)"
            )
        }
        let client = upstream(proxy, context)
        let upstreamRepository = proxy.upstreamRepository(repository.artifact)
        if head {
            let answer = try await Self.upstreamCall(proxy) {
                try await client.send(
                    .HEAD,
                    repository: upstreamRepository,
                    path: "blobs/\(digest)",
                    accept: nil,
                    deadline: .now() + .seconds(60)
                )
            }
            try await OCIUpstreamClient.drain(answer)
            let size = try Self.checkedBlobAnswer(answer, proxy, digest)
            var headers = Self.blobFields(digest)
            headers.append(HTTPField(name: .contentLength, value: "\(size)"))
            return Response(status: .ok, headers: headers)
        }
        let relay = OCIProxyRelay()
        let streams = request.headers[.range] == nil
        if !streams { relay.detach() }
        let audit = context.auditContext(principal)
        let oci = self.oci
        let logger = context.logger
        let (task, started) = proxyPuller.flight(.init(namespace: repository.namespace, digest: "\(digest)")) {
            do {
                let answer = try await Self.upstreamCall(proxy) {
                    try await client.send(
                        .GET,
                        repository: upstreamRepository,
                        path: "blobs/\(digest)",
                        accept: nil,
                        deadline: .now() + .hours(6)
                    )
                }
                let size: UInt64
                do {
                    size = try Self.checkedBlobAnswer(answer, proxy, digest)
                } catch {
                    try? await OCIUpstreamClient.drain(answer)
                    throw error
                }
                relay.begin(size: size)
                logger.info(
                    "proxy fetching blob",
                    metadata: ["namespace": "\(repository.namespace)", "digest": "\(digest)", "size": "\(size)"]
                )
                let verified = OCIProxyVerifyingSequence(
                    base: ByteStream(answer.body),
                    expected: sha256,
                    size: size,
                    relay: relay,
                    upstream: proxy.upstream.absoluteString
                )
                let stored: LinkedBlob
                do {
                    stored = try await oci.ingest(repository, digest: digest, body: ByteStream(verified), size: size, context: audit)
                } catch {
                    // The tee's refusal is the answer, whatever the data plane wrapped it in.
                    throw relay.failure ?? error
                }
                // The cached manifests that reference it now count it as a reference, as a push would.
                try await oci.resolvePendingBlob(repository, digest: digest, blob: stored)
                await relay.releaseFinal()
                return stored
            } catch {
                if let refusal = error as? OCIError, refusal.status == 502 {
                    logger.warning(
                        "proxy refused an upstream blob",
                        metadata: ["namespace": "\(repository.namespace)", "error": "\(refusal.message)"]
                    )
                }
                relay.finish(error)
                throw error
            }
        }
        if started, streams {
            let size = try await relay.started()
            var headers = Self.blobFields(digest)
            headers.append(HTTPField(name: .contentLength, value: "\(size)"))
            let body = ResponseBody(contentLength: Int(size)) { writer in
                defer { relay.detach() }
                while let chunk = try await relay.next() { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
        _ = try await task.value
        return nil
    }

    /// The size an upstream's blob answer announces, checked.
    static func checkedBlobAnswer(_ answer: HTTPClientResponse, _ proxy: OCIProxyConfiguration, _ digest: OCIBlobDigest) throws -> UInt64 {
        switch answer.status.code {
        case 200:
            guard let text = answer.headers.first(name: "Content-Length"), let size = UInt64(text), size <= maximumProxiedBlob else {
                throw OCIError(
                    .unknown,
                    "the upstream \(proxy.upstream) answered blob \(digest) without a Content-Length of at most "
                        + "\(maximumProxiedBlob) bytes",
                    status: 502
                )
            }
            if let named = answer.headers.first(name: "Docker-Content-Digest"), named != "\(digest)" {
                throw OCIError(.unknown, "the upstream \(proxy.upstream) answered blob \(digest) with another digest", status: 502)
            }
            return size
        case 404:
            throw OCIError(.blobUnknown, "blob \(digest) is not in the upstream \(proxy.upstream) either")
        case 401, 403:
            throw OCIError(
                .blobUnknown,
                "the upstream \(proxy.upstream) refused the proxy's pull of blob \(digest) (check the proxy's credentials)"
            )
        default:
            throw OCIError(.unknown, "the upstream \(proxy.upstream) answered \(answer.status.code) for blob \(digest)", status: 502)
        }
    }

    /// Runs an upstream call, turning ``OCIUpstreamClient/Unavailable`` into a 502.
    static func upstreamCall(
        _ proxy: OCIProxyConfiguration,
        _ body: () async throws -> HTTPClientResponse
    ) async throws -> HTTPClientResponse {
        do {
            return try await body()
        } catch let unavailable as OCIUpstreamClient.Unavailable {
            throw OCIError(.unknown, unavailable.description, status: 502, underlying: unavailable)
        }
    }
}
