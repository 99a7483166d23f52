import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One replication rule's conversation with its remote registry, over ``OCIUpstreamClient``
/// (its token challenges, redirect rules and "credentials only to the remote's origin").
///
/// Exists so the pusher and the mirror speak the distribution API in one place and every
/// failure reads as what failed on which remote: ``Failure`` messages name the remote by its URL
/// (which holds no credentials: the rule's checks refuse them there) and never carry a header,
/// token or password.
struct ReplicationRemote: Sendable {
    let rule: ReplicationRuleConfiguration
    let client: OCIUpstreamClient

    /// Largest manifest, tag list or catalog read from a remote.
    static let maximumDocument = 4 << 20
    /// Largest blob mirrored from a remote.
    static let maximumBlob: UInt64 = 64 << 30

    /// A failed exchange, in words a person reads in `replication status`.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(rule: ReplicationRuleConfiguration, tokens: OCIUpstreamTokens, logger: Logger) {
        self.rule = rule
        let configuration = OCIProxyConfiguration.replicationRemote(
            name: rule.name,
            url: rule.remote,
            username: rule.username,
            password: rule.password
        )
        client = OCIUpstreamClient(configuration: configuration, tokens: tokens, logger: logger)
    }

    var remote: String { rule.remote.absoluteString }

    /// `method` on `/v2/<repository>/<path>` (or on `url`, a `Location` the remote gave).
    func call(
        _ method: HTTPMethod,
        _ repository: String,
        _ path: String,
        url: String? = nil,
        push: Bool = false,
        scope: String? = nil,
        accept: String? = nil,
        timeout: TimeAmount = .seconds(120),
        body: OCIUpstreamClient.BodySource? = nil
    ) async throws -> HTTPClientResponse {
        let target = url.map { URL(string: $0, relativeTo: rule.remote)?.absoluteString ?? $0 } ?? "\(remote)/v2/\(repository)/\(path)"
        do {
            return try await client.send(
                method,
                url: target,
                scope: scope ?? "repository:\(repository):" + (push ? "pull,push" : "pull"),
                accept: accept,
                deadline: .now() + timeout,
                body: body
            )
        } catch let unavailable as OCIUpstreamClient.Unavailable {
            // The shared client speaks of an "upstream"; here it is the rule's remote.
            throw Failure(description: unavailable.description.replacingOccurrences(of: "the upstream ", with: "the remote "))
        }
    }

    /// Reads a small answer whole, or throws naming `what` and the status.
    func document(_ answer: HTTPClientResponse, _ what: String, expect: Int = 200) async throws -> [UInt8] {
        guard Int(answer.status.code) == expect else {
            try? await OCIUpstreamClient.drain(answer)
            throw Failure(description: "the remote \(remote) answered \(answer.status.code) for \(what)")
        }
        do {
            return Array(try await answer.body.collect(upTo: Self.maximumDocument).readableBytesView)
        } catch {
            throw Failure(description: "the remote \(remote) sent more than \(Self.maximumDocument) bytes for \(what)")
        }
    }

    /// Whether the remote answers `HEAD` on `path` with 200 (404: no; anything else: a failure).
    func has(_ repository: String, _ path: String, accept: String? = nil) async throws -> Bool {
        let answer = try await call(.HEAD, repository, path, push: true, accept: accept)
        try await OCIUpstreamClient.drain(answer)
        switch answer.status.code {
        case 200: return true
        case 404: return false
        default: throw Failure(description: "the remote \(remote) answered \(answer.status.code) for HEAD \(repository)/\(path)")
        }
    }

    /// Checks a `201 Created` (or 202 where `accepted`), draining the answer.
    func expectCreated(_ answer: HTTPClientResponse, _ what: String) async throws {
        try await OCIUpstreamClient.drain(answer)
        guard answer.status.code == 201 else {
            throw Failure(description: "the remote \(remote) answered \(answer.status.code) for \(what)")
        }
    }
}
