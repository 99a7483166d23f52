import ArtifactOCI
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// One proxy namespace's conversation with its upstream registry: `GET`/`HEAD` under `/v2/`,
/// the upstream's `Bearer` token challenge (as docker-registry's token auth and Docker Hub
/// answer: `realm`, `service`, `scope`) or `Basic`, and redirects.
///
/// Exists so every rule about trusting an upstream is in one place:
/// - redirects are followed by hand (at most ``maximumRedirects``), only to the upstream's host or
///   a configured redirect host, and credentials are sent only to the upstream's origin (scheme,
///   host and port);
/// - a token realm must also be one of those hosts (credentials are sent there);
/// - token answers are bounded (``maximumTokenAnswer``);
/// - no credential, token or `Authorization` header ever appears in a message or log line (the
///   messages name the upstream by its URL, which holds no credentials by construction).
struct OCIUpstreamClient: Sendable {
    let configuration: OCIProxyConfiguration
    let tokens: OCIUpstreamTokens
    let logger: Logger

    /// The one HTTP client every upstream conversation of the process uses: no automatic
    /// redirects (they are checked here), no decompression (bytes are hashed as sent), connect
    /// timeout 3 s (the client retries a refused connection until then, and a pull waits for
    /// it before being served stale), idle read timeout 60 s. A process-wide constant, never shut down.
    static let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(3), read: .seconds(60)),
            decompression: .disabled
        )
    )

    static let maximumRedirects = 5
    /// How long an upstream that could not be reached is not asked again (its pulls are answered
    /// from the cache, or 502, at once).
    static let downInterval = Duration.seconds(5)
    static let maximumTokenAnswer = 64 * 1024
    /// The manifest media types asked for, most preferred first.
    static let manifestAccept = [
        OCIManifest.imageManifest, OCIManifest.imageIndex, OCIManifest.dockerManifest, OCIManifest.dockerManifestList,
    ].joined(separator: ", ")

    /// The upstream failed (unreachable, a server error, a refusal we cannot satisfy): what a
    /// proxy serves stale content for.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// `method` on `/v2/<upstream repository>/<path>`; the answer's body is not read yet (the
    /// caller reads or drains it). Statuses are the caller's to judge.
    ///
    /// - Throws: ``Unavailable`` when no answer could be had (connection, timeout, a redirect
    ///   to a host not allowed, a token that could not be obtained).
    func send(
        _ method: HTTPMethod,
        repository: String,
        path: String,
        accept: String?,
        deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        try await send(
            method,
            url: configuration.upstream.absoluteString + "/v2/\(repository)/\(path)",
            scope: "repository:\(repository):pull",
            accept: accept,
            deadline: deadline
        )
    }

    /// A request's body, made again for each try (a token challenge or a redirect sends it again).
    typealias BodySource = @Sendable () async throws -> (body: HTTPClientRequest.Body, contentType: String)

    /// `method` on `url` (the upstream's, or a `Location` it gave) under the token `scope`
    /// (replication pushes ask for `repository:<name>:pull,push`), with `body` when given.
    ///
    /// - Throws: ``Unavailable`` as ``send(_:repository:path:accept:deadline:)``.
    func send(
        _ method: HTTPMethod,
        url start: String,
        scope: String,
        accept: String?,
        deadline: NIODeadline,
        body: BodySource? = nil
    ) async throws -> HTTPClientResponse {
        var url = start
        var authorization = tokens.authorization(for: configuration, scope: scope)
        var challenged = false
        var hops = 0
        if tokens.isDown(configuration) {
            throw Unavailable(description: "the upstream \(configuration.upstream) could not be reached moments ago")
        }
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let accept { request.headers.add(name: "Accept", value: accept) }
            if let body {
                let made = try await body()
                request.body = made.body
                request.headers.add(name: "Content-Type", value: made.contentType)
            }
            let sameHost = URL(string: url).map(Self.origin) == Self.origin(configuration.upstream)
            if sameHost, let authorization { request.headers.add(name: "Authorization", value: authorization) }
            let response: HTTPClientResponse
            do {
                response = try await Self.http.execute(request, deadline: deadline, logger: logger)
            } catch {
                logger.warning("proxy upstream unreachable", metadata: ["upstream": "\(configuration.upstream)", "error": "\(error)"])
                tokens.markDown(configuration, for: Self.downInterval)
                throw Unavailable(description: "the upstream \(configuration.upstream) could not be reached")
            }
            switch response.status.code {
            case 401 where !challenged && sameHost:
                challenged = true
                let challenge = response.headers.first(name: "WWW-Authenticate") ?? ""
                try await Self.drain(response)
                guard let answer = try await authorize(challenge, scope: scope, deadline: deadline) else { return response }
                authorization = answer
                continue
            case 301, 302, 303, 307, 308:
                hops += 1
                let location = response.headers.first(name: "Location") ?? ""
                try await Self.drain(response)
                guard hops <= Self.maximumRedirects, let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL,
                    let scheme = next.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = next.host,
                    configuration.allowsRedirect(to: host)
                else {
                    logger.warning(
                        "proxy upstream redirect refused",
                        metadata: [
                            "upstream": "\(configuration.upstream)", "host": "\(URL(string: location)?.host ?? "?")", "hops": "\(hops)",
                        ]
                    )
                    throw Unavailable(
                        description: "the upstream \(configuration.upstream) redirected to a host the proxy does not allow "
                            + "(allow it with redirectHosts) or redirected more than \(Self.maximumRedirects) times"
                    )
                }
                url = next.absoluteString
            default:
                return response
            }
        }
    }

    /// The `Authorization` value answering `challenge`, or `nil` when it cannot be answered
    /// (the 401 then stands). Caches a token for its lifetime.
    private func authorize(_ challenge: String, scope: String, deadline: NIODeadline) async throws -> String? {
        let parsed = OCIAuthChallenge(challenge)
        switch parsed?.scheme {
        case "basic":
            guard let basic = basicCredentials() else { return nil }
            tokens.store(basic, for: configuration, scope: scope, lifetime: .seconds(3600))
            return basic
        case "bearer":
            guard let parsed, let realm = parsed.parameters["realm"], var components = URLComponents(string: realm),
                let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = components.host, configuration.allowsRedirect(to: host)
            else {
                throw Unavailable(
                    description: "the upstream \(configuration.upstream) asked for a token from a realm the proxy does not allow "
                        + "(allow its host with redirectHosts)"
                )
            }
            var query = components.queryItems ?? []
            if let service = parsed.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            query.append(URLQueryItem(name: "scope", value: parsed.parameters["scope"] ?? scope))
            components.queryItems = query
            guard let tokenURL = components.url else { return nil }
            var request = HTTPClientRequest(url: tokenURL.absoluteString)
            if let basic = basicCredentials() { request.headers.add(name: "Authorization", value: basic) }
            let answer: HTTPClientResponse
            do {
                answer = try await Self.http.execute(request, deadline: deadline, logger: logger)
            } catch {
                logger.warning("proxy token realm unreachable", metadata: ["upstream": "\(configuration.upstream)", "error": "\(error)"])
                throw Unavailable(description: "the token service of the upstream \(configuration.upstream) could not be reached")
            }
            guard answer.status == .ok, let body = try? await answer.body.collect(upTo: Self.maximumTokenAnswer),
                let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty
            else {
                throw Unavailable(
                    description: "the token service of the upstream \(configuration.upstream) refused the proxy's credentials"
                )
            }
            let seconds = max(10, min((object["expires_in"] as? Int) ?? 60, 3600) - 5)
            let bearer = "Bearer \(token)"
            tokens.store(bearer, for: configuration, scope: scope, lifetime: .seconds(seconds))
            return bearer
        default:
            return nil
        }
    }

    private func basicCredentials() -> String? {
        guard let user = configuration.username, let password = configuration.password else { return nil }
        return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// Scheme, host and port: credentials go only to the upstream's own origin.
    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(url.port ?? (scheme == "https" ? 443 : 80))"
    }

    static func drain(_ response: HTTPClientResponse) async throws {
        for try await _ in response.body {}
    }
}

/// A parsed `WWW-Authenticate` challenge: its scheme (lower-cased) and `key="value"` parameters.
struct OCIAuthChallenge: Sendable, Hashable {
    var scheme: String
    var parameters: [String: String]

    init?(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        scheme = trimmed[..<space].lowercased()
        parameters = [:]
        var rest = Substring(trimmed[space...])
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "\"") else { return nil }
                value = String(rest[..<close])
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            parameters[key] = value
        }
    }
}

/// Tokens (and Basic answers) the upstreams accepted, per upstream, user and scope, until they
/// expire; and the upstreams that could not be reached just now.
///
/// Exists so a pull does not ask the token service again for every blob, and so an upstream that
/// is down costs one connection timeout, not one per pull. Kept in memory only.
final class OCIUpstreamTokens: Sendable {
    private struct Key: Hashable {
        var upstream: String
        var username: String?
        var scope: String
    }

    private let entries = Mutex([Key: (value: String, expires: ContinuousClock.Instant)]())
    private let down = Mutex([String: ContinuousClock.Instant]())

    /// Whether `configuration`'s upstream could not be reached in the last ``OCIUpstreamClient/downInterval``.
    func isDown(_ configuration: OCIProxyConfiguration) -> Bool {
        down.withLock { ($0[configuration.upstream.absoluteString] ?? .now) > .now }
    }

    func markDown(_ configuration: OCIProxyConfiguration, for interval: Duration) {
        down.withLock { $0[configuration.upstream.absoluteString] = .now + interval }
    }

    func authorization(for configuration: OCIProxyConfiguration, scope: String) -> String? {
        let key = Key(upstream: configuration.upstream.absoluteString, username: configuration.username, scope: scope)
        return entries.withLock { entries in
            guard let entry = entries[key], entry.expires > .now else { return nil }
            return entry.value
        }
    }

    func store(_ value: String, for configuration: OCIProxyConfiguration, scope: String, lifetime: Duration) {
        let key = Key(upstream: configuration.upstream.absoluteString, username: configuration.username, scope: scope)
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = (value, .now + lifetime)
        }
    }
}
