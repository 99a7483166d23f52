// The proxy-namespace routes' request body and answer (docs/api.md, docs/oci.md "Proxy namespaces").

/// `PUT /v1/proxies/{ns}`: makes namespace `ns` (created if absent) a pull-through cache of the
/// OCI registry at `upstream`. Absent fields take the defaults of ``ProxyNamespace``.
public struct SetProxyBody: Codable, Sendable, Hashable {
    /// `http://host[:port]` or `https://host[:port]` (an optional path prefix, no query).
    public var upstream: String
    /// Prepended to the artifact to name the upstream repository (`library/`).
    public var prefix: String?
    /// Artifact globs that may be pulled through (default `["**"]`).
    public var allow: [String]?
    /// Artifact globs that may not be pulled through (default none); deny wins.
    public var deny: [String]?
    /// Hosts besides the upstream's own that its redirects may lead to.
    public var redirectHosts: [String]?
    /// Seconds a cached tag is served before it is checked upstream again (default 300).
    public var tagTTLSeconds: Int64?
    /// Credentials for the upstream (Basic, or to obtain its Bearer tokens): both or neither.
    public var username: String?
    /// A secret: stored, never returned.
    public var password: String?
    /// Cached manifests not pulled for this many seconds are deleted (their blobs then go by GC);
    /// `nil`: kept until retention or a delete removes them.
    public var evictUnusedAfterSeconds: Int64?

    public init(
        upstream: String,
        prefix: String? = nil,
        allow: [String]? = nil,
        deny: [String]? = nil,
        redirectHosts: [String]? = nil,
        tagTTLSeconds: Int64? = nil,
        username: String? = nil,
        password: String? = nil,
        evictUnusedAfterSeconds: Int64? = nil
    ) {
        self.evictUnusedAfterSeconds = evictUnusedAfterSeconds
        self.upstream = upstream
        self.prefix = prefix
        self.allow = allow
        self.deny = deny
        self.redirectHosts = redirectHosts
        self.tagTTLSeconds = tagTTLSeconds
        self.username = username
        self.password = password
    }
}

/// A proxy namespace as the API shows it: everything but the password, of which only its
/// presence is said.
public struct ProxyNamespace: Codable, Sendable, Hashable {
    public var namespace: String
    public var upstream: String
    public var prefix: String
    public var allow: [String]
    public var deny: [String]
    public var redirectHosts: [String]
    public var tagTTLSeconds: Int64
    public var username: String?
    public var hasPassword: Bool
    public var evictUnusedAfterSeconds: Int64?

    public init(
        namespace: String,
        upstream: String,
        prefix: String = "",
        allow: [String] = ["**"],
        deny: [String] = [],
        redirectHosts: [String] = [],
        tagTTLSeconds: Int64 = 300,
        username: String? = nil,
        hasPassword: Bool = false,
        evictUnusedAfterSeconds: Int64? = nil
    ) {
        self.evictUnusedAfterSeconds = evictUnusedAfterSeconds
        self.namespace = namespace
        self.upstream = upstream
        self.prefix = prefix
        self.allow = allow
        self.deny = deny
        self.redirectHosts = redirectHosts
        self.tagTTLSeconds = tagTTLSeconds
        self.username = username
        self.hasPassword = hasPassword
    }
}
