public import Foundation

// The replication routes' request body and answers (docs/api.md, docs/replication.md).

/// Which way a replication rule copies.
public enum ReplicationDirection: String, Sendable, Hashable, Codable {
    /// Every new manifest of a matching repository is copied to the remote.
    case push
    /// Matching repositories of the remote are mirrored here every interval.
    case pull
}

/// `POST /v1/replications`: a new rule. Exactly one of `pushTo` and `pullFrom`.
public struct CreateReplicationBody: Codable, Sendable, Hashable {
    /// The rule's name: a namespace-grammar name (`a-z0-9._-`, 1 to 64).
    public var name: String
    /// The remote registry to copy to: `http(s)://host[:port]`.
    public var pushTo: String?
    /// The remote registry to mirror from: `http(s)://host[:port]`.
    public var pullFrom: String?
    /// The repositories (`namespace/artifact`) the rule covers: a glob with `*`, `**`, `?`.
    public var repositories: String
    /// Seconds between mirror runs of a pull rule (default 300, 10 to 86400); push rules ignore it.
    public var intervalSeconds: Int64?
    /// Credentials for the remote: both or neither.
    public var username: String?
    /// A secret: stored sealed, never returned.
    public var password: String?

    public init(
        name: String,
        pushTo: String? = nil,
        pullFrom: String? = nil,
        repositories: String,
        intervalSeconds: Int64? = nil,
        username: String? = nil,
        password: String? = nil
    ) {
        self.name = name
        self.pushTo = pushTo
        self.pullFrom = pullFrom
        self.repositories = repositories
        self.intervalSeconds = intervalSeconds
        self.username = username
        self.password = password
    }
}

/// How a rule is doing: what `replication status` and `/metrics` show.
public struct ReplicationStatus: Codable, Sendable, Hashable {
    /// When an item (push) or a mirror run (pull) last succeeded.
    public var lastSuccessAt: Date?
    /// When a mirror run (pull) last ran.
    public var lastRunAt: Date?
    /// The last failure, in words (never a credential), and when.
    public var lastError: String?
    public var lastErrorAt: Date?
    /// Push items waiting to be copied (retrying ones included).
    public var pending: Int
    /// Push items that failed their last attempt and gave up.
    public var dead: Int
    /// Seconds the oldest pending item has waited (0 when none): the rule's lag.
    public var lagSeconds: Int64

    public init(
        lastSuccessAt: Date? = nil,
        lastRunAt: Date? = nil,
        lastError: String? = nil,
        lastErrorAt: Date? = nil,
        pending: Int = 0,
        dead: Int = 0,
        lagSeconds: Int64 = 0
    ) {
        self.lastSuccessAt = lastSuccessAt
        self.lastRunAt = lastRunAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.pending = pending
        self.dead = dead
        self.lagSeconds = lagSeconds
    }
}

/// A replication rule as the API shows it: never its password, of which only its presence is said.
public struct ReplicationRule: Codable, Sendable, Hashable {
    public var name: String
    public var direction: ReplicationDirection
    public var remote: String
    public var repositories: String
    public var intervalSeconds: Int64
    public var username: String?
    public var hasPassword: Bool
    public var createdBy: String
    public var createdAt: Date
    public var status: ReplicationStatus

    public init(
        name: String,
        direction: ReplicationDirection,
        remote: String,
        repositories: String,
        intervalSeconds: Int64,
        username: String? = nil,
        hasPassword: Bool = false,
        createdBy: String,
        createdAt: Date,
        status: ReplicationStatus = ReplicationStatus()
    ) {
        self.name = name
        self.direction = direction
        self.remote = remote
        self.repositories = repositories
        self.intervalSeconds = intervalSeconds
        self.username = username
        self.hasPassword = hasPassword
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.status = status
    }
}
