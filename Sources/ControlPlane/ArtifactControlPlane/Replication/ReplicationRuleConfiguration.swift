public import ArtifactStoreAPI
public import Foundation

/// A replication rule, checked: what ``Replication`` stores and the replication service reads
/// (docs/replication.md).
///
/// Exists so every rule about a remote is decided once, before anything is stored: the name is
/// a namespace-grammar name; the remote is `http`/`https` with a host and no credentials, query or
/// fragment in it, and its host is an address the server may send to (the webhook network
/// policy, `webhookAllowedNetworks`: loopback, private and link-local addresses are refused
/// unless allowed); the glob is well formed; the interval is in range; the user name and the
/// password come together. The password is kept here (the service needs it) and never appears
/// in ``description``, ``answer`` or any message.
public struct ReplicationRuleConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var direction: ReplicationDirection
    /// The remote's base URL, without a trailing `/`.
    public var remote: URL
    public var repositories: String
    public var intervalSeconds: Int64
    public var username: String?
    public var password: String?

    public static let intervalRange: ClosedRange<Int64> = 10...86_400
    public static let defaultIntervalSeconds: Int64 = 300
    public static let maximumPasswordLength = 8192

    public var description: String { "replication \(name) (\(direction.rawValue) \(remote.absoluteString))" }

    /// The remote's host, lower-cased.
    public var remoteHost: String { remote.host?.lowercased() ?? "" }

    /// Whether the rule covers repository `namespace/artifact`.
    public func covers(_ repository: String) -> Bool {
        (try? ArtifactGlob(repositories))?.matches(repository) ?? false
    }

    public init(
        name: String,
        direction: ReplicationDirection,
        remote: URL,
        repositories: String,
        intervalSeconds: Int64,
        username: String? = nil,
        password: String? = nil
    ) {
        self.name = name
        self.direction = direction
        self.remote = remote
        self.repositories = repositories
        self.intervalSeconds = intervalSeconds
        self.username = username
        self.password = password
    }

    /// Checks `body` against the grammar and `networks`.
    ///
    /// - Throws: `invalidReplication` naming the field at fault (the password is never quoted);
    ///   nothing is stored when it throws.
    public init(body: CreateReplicationBody, networks: WebhookNetworkPolicy) throws(ControlPlaneError) {
        do {
            try NameGrammar.validateNamespace(body.name)
        } catch {
            throw ControlPlaneError(.invalidReplication, "replication rule name: \(error.message)")
        }
        name = body.name
        switch (body.pushTo, body.pullFrom) {
        case (let url?, nil):
            direction = .push
            remote = try Self.checkedRemote(url)
        case (nil, let url?):
            direction = .pull
            remote = try Self.checkedRemote(url)
        default:
            throw ControlPlaneError(.invalidReplication, "give exactly one of pushTo (--push-to) and pullFrom (--pull-from)")
        }
        do {
            _ = try ArtifactGlob(body.repositories)
        } catch {
            throw ControlPlaneError(.invalidReplication, "repositories: \(error.message)")
        }
        repositories = body.repositories
        intervalSeconds = body.intervalSeconds ?? Self.defaultIntervalSeconds
        guard Self.intervalRange.contains(intervalSeconds) else {
            throw ControlPlaneError(
                .invalidReplication,
                "intervalSeconds must be \(Self.intervalRange.lowerBound) to \(Self.intervalRange.upperBound), not \(intervalSeconds)"
            )
        }
        (username, password) = try RemoteCredentials.checked(
            body.username,
            body.password,
            maximumPasswordLength: Self.maximumPasswordLength,
            code: .invalidReplication
        )
        try networks.check(host: remoteHost, what: "replication remote", code: .invalidReplication)
    }

    static func checkedRemote(_ text: String) throws(ControlPlaneError) -> URL {
        try RemoteCredentials.checkedURL(
            text,
            what: "remote",
            rule: "http:// or https:// with a host, and no user, path, query or fragment "
                + "(give credentials with --username and --password-file)",
            allowsPath: false,
            code: .invalidReplication
        )
    }
}
