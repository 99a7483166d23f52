public import ArtifactControlPlane
public import ArtifactOCI
public import ArtifactStoreCore
import Foundation

/// Everything `artifactstore serve` needs to start, with the embedded defaults.
///
/// Exists as one value the serve application is built from, whatever its source: a JSON file,
/// `ARTIFACTSTORE_*` environment variables and command-line flags, each overriding the last
/// (``load(flags:environment:file:)``; docs/operations.md lists every key).
public struct ServerConfiguration: Sendable, Hashable {
    /// Address to listen on.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds the SQLite database and the default filesystem backend unless configured otherwise.
    public var dataDirectory = "./artifactstore-data"
    /// Metadata location (path, `sqlite://…` or `postgres://…`); `<dataDirectory>/metadata.sqlite`
    /// when `nil`.
    public var database: String?
    /// `ID=URL` storage backends; `default=file://<dataDirectory>/blobs` when empty.
    public var backends: [String] = []
    /// Namespaces whose downloads are always served through the server, even from a backend that
    /// redirects downloads to presigned URLs (`s3://…?redirect=true`).
    public var redirectExemptNamespaces: [String] = []
    /// How `/v2` names map onto namespaces: where single-component names go (`ociDefaultNamespace`)
    /// and who may create a namespace by pushing into it (`ociCreateNamespaces`); docs/oci.md.
    public var ociNaming = OCINamingPolicy()
    /// Address ranges webhook URLs may point at although they are not public (`loopback`,
    /// `private`, `link-local`); none by default (docs/webhooks.md, "SSRF").
    public var webhookAllowedNetworks: WebhookNetworkPolicy = []
    /// The backend new blobs go to; the first when `nil`.
    public var defaultBackend: String?
    /// `inprocess`, or `unix:///path` to reach a data-plane daemon.
    public var dataPlane = "inprocess"
    /// Time between garbage collections.
    public var gcInterval: Duration = .seconds(3600)
    /// How long an unreferenced blob is kept before collection.
    public var gcGracePeriod: Duration = .seconds(24 * 3600)
    /// Time between retention runs.
    public var retentionInterval: Duration = .seconds(3600)
    /// How long an OCI upload session may stay unfinished before it is expired (its chunks are
    /// then collected like any abandoned upload); checked every ``gcInterval``.
    public var ociUploadExpiry: Duration = .seconds(24 * 3600)
    /// How long a shutdown waits for requests in flight before cancelling them (a cancelled
    /// upload stores nothing).
    public var shutdownGracePeriod: Duration = .seconds(30)
    /// The most time authorisations and blob facts are served from memory (docs/operations.md,
    /// "Performance and caching"): the store's own events drop them at once, in every server
    /// sharing the database, so it only bounds what a hand edit of the database leaves behind.
    /// `.zero` turns the caches off.
    public var cacheLifetime: Duration = ControlPlaneCaches.defaultLifetime
    /// The audit chain's key file (docs/operations.md, "Audit key"); `<dataDirectory>/audit.key`
    /// when `nil`, created (mode 0600) on the first start. Every server sharing a database must
    /// use the same keys.
    public var auditKeyFile: String?
    /// swift-log level name: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// Connection timeouts and the connection count (keys `headerReadTimeout`, `idleTimeout`,
    /// `bodyIdleTimeout`, `maxConnections`).
    public var connectionLimits = ConnectionLimits()
    /// How log lines are written: `text` or `json` (one object per line).
    public var logFormat = ServerLogFormat.text
    /// PEM certificate chain (leaf first) to serve HTTPS with; `nil` serves plain HTTP. Always
    /// set together with ``tlsKeyFile``. Reloaded on SIGHUP (docs/operations.md, "TLS").
    public var tlsCertificateFile: String?
    /// PEM private key (unencrypted) of the leaf certificate in ``tlsCertificateFile``.
    public var tlsKeyFile: String?
    /// Under TLS, offer HTTP/2 by ALPN (`h2` first, `http/1.1` for clients without it). On by
    /// default; off leaves every TLS connection HTTP/1.1, for a client or middlebox that
    /// mishandles HTTP/2. Plain HTTP is HTTP/1.1 either way (docs/operations.md, "TLS").
    public var http2 = true

    /// The Docker/OCI registry token flow (docs/oci.md, "Token authentication"): `/v2` 401s
    /// send clients to `/v2/token` for a short-lived JWT. Off by default: the Basic challenge
    /// works with every client as it is, and a correct ``registryTokenRealm`` depends on how
    /// clients reach the server (TLS, a proxy), which only the operator knows.
    public var registryTokenAuth = false
    /// The challenge's `service` and the JWTs' audience and issuer.
    public var registryTokenService = "artifactstore"
    /// The token endpoint's URL as clients reach it; `nil` derives `http://<Host>/v2/token`.
    public var registryTokenRealm: String?
    /// How long an issued JWT is valid.
    public var registryTokenLifetime: Duration = .seconds(300)

    /// The LDAP server (`ldap://host[:port]`) that checks Basic `user:password` on `/v2` and
    /// the token endpoint; off when `nil` (docs/operations.md, "LDAP").
    public var ldapURL: String?
    /// The bind DN of a user: `uid={user},ou=people,dc=example,dc=org`.
    public var ldapBindDN: String?
    /// Where the user's groups are searched; no groups when `nil`.
    public var ldapGroupBase: String?
    /// The group attribute holding members' DNs.
    public var ldapGroupAttribute = "member"
    /// `<scope>:<namespace|*>=<group DN>`: members of the group get the grant.
    public var ldapGroupRules: [String] = []
    /// The most time one LDAP check may take.
    public var ldapTimeout: Duration = .seconds(5)
    /// OpenID Connect sign-in (docs/identity.md); off while ``OIDCConfiguration/issuer`` is `nil`.
    public var oidc = OIDCConfiguration()

    public init() {}

    /// The control plane's registry token settings, `nil` when the flow is off.
    public var registryTokenSettings: RegistryTokenSettings? {
        guard registryTokenAuth else { return nil }
        return RegistryTokenSettings(
            service: registryTokenService,
            issuer: registryTokenService,
            lifetime: registryTokenLifetime,
            realm: registryTokenRealm
        )
    }

    /// A service name or realm goes into a `WWW-Authenticate` header: printable ASCII without
    /// quotes or backslashes, at most 512 bytes; a realm is an http(s) URL.
    static func checkRegistryTokenText(_ key: Key, _ text: String) throws(ServerConfigurationError) {
        guard !text.isEmpty, text.utf8.count <= 512, text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C }) else {
            throw ServerConfigurationError(
                key: key.rawValue,
                "must be 1-512 printable ASCII characters without spaces, quotes or backslashes"
            )
        }
        if key == .registryTokenRealm, !(text.hasPrefix("https://") || text.hasPrefix("http://")) {
            throw ServerConfigurationError(key: key.rawValue, "\"\(text)\" is not an http:// or https:// URL")
        }
    }

    /// The metadata location in effect.
    public var effectiveDatabase: String {
        database ?? (absoluteDataDirectory as NSString).appendingPathComponent("metadata.sqlite")
    }

    /// The backends in effect: the configured ones, or the filesystem backend in the data directory.
    public var effectiveBackends: [String] {
        backends.isEmpty ? ["default=file://\((absoluteDataDirectory as NSString).appendingPathComponent("blobs"))"] : backends
    }

    /// The audit key file in effect.
    public var effectiveAuditKeyFile: String {
        auditKeyFile ?? (absoluteDataDirectory as NSString).appendingPathComponent("audit.key")
    }

    /// `https` with a certificate, else `http`.
    public var scheme: String { tlsCertificateFile == nil ? "http" : "https" }

    /// ``dataDirectory`` made absolute against the current directory.
    public var absoluteDataDirectory: String {
        if dataDirectory.hasPrefix("/") { return (dataDirectory as NSString).standardizingPath }
        let joined = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(dataDirectory)
        return (joined as NSString).standardizingPath
    }

    /// Splits `ID=URL`.
    public static func splitBackend(_ text: String) throws(ServerConfigurationError) -> (id: String, url: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
            throw ServerConfigurationError(key: "backends", "backend \"\(text)\" is not ID=URL")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

/// A configuration value that is missing, malformed or inconsistent, or a start that cannot
/// happen as configured (the address is taken): the server does not start.
public typealias ServerConfigurationError = LayeredError<ServerConfigurationErrorCode>

/// Stable server configuration codes. Never renamed once published.
public enum ServerConfigurationErrorCode: String, ErrorCode {
    case invalidConfiguration
    case addressInUse
    case tlsUnusable

    public typealias Details = ServerConfigurationErrorDetails

    public static let layer = "server configuration"

    public var meaning: String {
        switch self {
        case .invalidConfiguration:
            "A key is unknown, of the wrong type or out of range, or a location does not exist or cannot be written."
        case .addressInUse: "Another process listens on the configured host and port."
        case .tlsUnusable:
            "The TLS certificate or key file cannot be read, is not PEM, or the key does not belong to the certificate."
        }
    }

    /// `artifactstore serve` exits 2 when its configuration cannot be used.
    public var exitStatus: ExitStatus? { .usage }
}

/// What a ``ServerConfigurationError`` adds: the configuration key at fault.
public struct ServerConfigurationErrorDetails: Sendable, Hashable {
    /// The configuration key (`port`, `backends`, …).
    public var key: String
}

extension ServerConfigurationError {
    /// The message is prefixed with the key: `port: …`.
    public init(
        _ kind: ServerConfigurationErrorCode = .invalidConfiguration,
        key: String,
        _ message: String,
        underlying: (any Error)? = nil
    ) {
        self.init(kind, "\(key): \(message)", details: ServerConfigurationErrorDetails(key: key), underlying: underlying)
    }

    /// The configuration key (`port`, `backends`, …).
    public var key: String { details.key }
}
