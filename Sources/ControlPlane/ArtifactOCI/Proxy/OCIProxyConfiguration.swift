public import ArtifactControlPlane
public import ArtifactStoreAPI
public import Foundation

/// A proxy namespace's upstream, checked: what ``OCIProxyStore`` stores and the pull-through
/// path reads (docs/oci.md, "Proxy namespaces").
///
/// Exists so every rule about an upstream is decided once, before anything is stored: the URL is
/// `http`/`https` with a host and no credentials, query or fragment in it; the prefix is
/// repository-name components ending in `/`; the globs and redirect hosts are well formed; the
/// user name and password come together. The password is kept here (the pull-through path
/// needs it) and never appears in ``description``, ``answer`` or any message.
public struct OCIProxyConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    /// The upstream's base URL, without a trailing `/`.
    public var upstream: URL
    public var prefix: String
    public var allow: [String]
    public var deny: [String]
    public var redirectHosts: [String]
    public var tagTTLSeconds: Int64
    public var username: String?
    public var password: String?
    /// Cached manifests not pulled for this many seconds are evicted; `nil`: never.
    public var evictUnusedAfterSeconds: Int64?

    /// Longest tag TTL accepted: one year.
    public static let maximumTagTTLSeconds: Int64 = 365 * 86_400
    /// Longest password accepted (registry tokens used as passwords are a few KiB at most).
    public static let maximumPasswordLength = 8192

    public var description: String { "proxy \(namespace) of \(upstream.absoluteString)" }

    /// The upstream's host, lower-cased: the one host redirects may always lead to.
    public var upstreamHost: String { upstream.host?.lowercased() ?? "" }

    /// The upstream repository for `artifact`: the prefix and the artifact.
    public func upstreamRepository(_ artifact: String) -> String { prefix + artifact }

    /// Whether `artifact` may be pulled through: it matches an allow glob and no deny glob.
    public func admits(_ artifact: String) -> Bool {
        let globs = { (texts: [String]) in texts.compactMap { try? ArtifactGlob($0) } }
        return globs(allow).contains { $0.matches(artifact) } && !globs(deny).contains { $0.matches(artifact) }
    }

    /// Whether a redirect may lead to `host`: the upstream's host or one configured.
    public func allowsRedirect(to host: String) -> Bool {
        let host = host.lowercased()
        return host == upstreamHost || redirectHosts.contains(host)
    }

    /// What the API shows: everything but the password.
    public var answer: ProxyNamespace {
        ProxyNamespace(
            namespace: namespace,
            upstream: upstream.absoluteString,
            prefix: prefix,
            allow: allow,
            deny: deny,
            redirectHosts: redirectHosts,
            tagTTLSeconds: tagTTLSeconds,
            username: username,
            hasPassword: password != nil,
            evictUnusedAfterSeconds: evictUnusedAfterSeconds
        )
    }

    static func checkedUpstream(_ text: String) throws(ControlPlaneError) -> URL {
        try RemoteCredentials.checkedURL(
            text,
            what: "upstream",
            rule: "http:// or https:// with a host, and no user, query or fragment (give credentials with username and password)",
            allowsPath: true,
            code: .invalidProxy
        )
    }

    static func checkedPrefix(_ prefix: String) throws(ControlPlaneError) -> String {
        guard !prefix.isEmpty else { return prefix }
        guard prefix.hasSuffix("/"), (try? NameGrammar.validateArtifact(String(prefix.dropLast()))) != nil else {
            throw ControlPlaneError(
                .invalidProxy,
                "prefix \"\(NameGrammar.printable(prefix))\" must be repository-name components ending in '/', such as library/"
            )
        }
        return prefix
    }

    static func checkedGlobs(_ globs: [String], _ field: String) throws(ControlPlaneError) -> [String] {
        guard globs.count <= 100 else { throw ControlPlaneError(.invalidProxy, "\(field) may list at most 100 globs") }
        for glob in globs {
            do {
                _ = try ArtifactGlob(glob)
            } catch {
                throw ControlPlaneError(.invalidProxy, "\(field): \(error.message)")
            }
        }
        return globs
    }

    static func checkedHosts(_ hosts: [String]) throws(ControlPlaneError) -> [String] {
        guard hosts.count <= 100 else { throw ControlPlaneError(.invalidProxy, "redirectHosts may list at most 100 hosts") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")
        return try hosts.map { (host: String) throws(ControlPlaneError) -> String in
            let lowered = host.lowercased()
            guard !lowered.isEmpty, lowered.count <= 253, lowered.allSatisfy(allowed.contains) else {
                throw ControlPlaneError(.invalidProxy, "redirect host \"\(NameGrammar.printable(host))\" is not a host name or address")
            }
            return lowered
        }
    }
}

// The checking initializer, in an extension so the memberwise one stays for rows already checked.
extension OCIProxyConfiguration {
    /// Checks `body` for `namespace`.
    ///
    /// - Throws: `invalidName` (the namespace), `invalidProxy` naming the field at fault; the
    ///   password is never quoted.
    public init(namespace: String, body: SetProxyBody) throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(namespace)
        self.namespace = namespace
        upstream = try Self.checkedUpstream(body.upstream)
        prefix = try Self.checkedPrefix(body.prefix ?? "")
        allow = try Self.checkedGlobs(body.allow ?? ["**"], "allow")
        deny = try Self.checkedGlobs(body.deny ?? [], "deny")
        redirectHosts = try body.redirectHosts.map(Self.checkedHosts) ?? []
        tagTTLSeconds = body.tagTTLSeconds ?? 300
        guard (0...Self.maximumTagTTLSeconds).contains(tagTTLSeconds) else {
            throw ControlPlaneError(.invalidProxy, "tagTTLSeconds must be 0 to \(Self.maximumTagTTLSeconds), not \(tagTTLSeconds)")
        }
        evictUnusedAfterSeconds = body.evictUnusedAfterSeconds
        if let evict = evictUnusedAfterSeconds, !(3600...(10 * Self.maximumTagTTLSeconds)).contains(evict) {
            throw ControlPlaneError(
                .invalidProxy,
                "evictUnusedAfterSeconds must be 3600 (an hour) to \(10 * Self.maximumTagTTLSeconds), not \(evict)"
            )
        }
        (username, password) = try RemoteCredentials.checked(
            body.username,
            body.password,
            maximumPasswordLength: Self.maximumPasswordLength,
            code: .invalidProxy
        )
    }
}

extension OCIProxyConfiguration {
    /// A replication remote as an upstream (docs/replication.md): the same client rules (token
    /// realms and redirects only to the remote's host, credentials only to its origin), every
    /// repository, no prefix. `url` and the credentials were checked by the replication rule.
    public static func replicationRemote(name: String, url: URL, username: String?, password: String?) -> OCIProxyConfiguration {
        OCIProxyConfiguration(
            namespace: name,
            upstream: url,
            prefix: "",
            allow: ["**"],
            deny: [],
            redirectHosts: [],
            tagTTLSeconds: 0,
            username: username,
            password: password,
            evictUnusedAfterSeconds: nil
        )
    }
}
