public import Foundation

/// The events a webhook endpoint can ask for (docs/webhooks.md): each is a CloudEvents `type`
/// `dev.artifactstore.<name>`.
public enum WebhookEventName: String, Sendable, Hashable, Codable, CaseIterable {
    /// A version committed (an OCI manifest pushed, or a `/v1` commit).
    case push
    /// An OCI manifest pulled (only for endpoints that ask for it).
    case pull
    /// A version or a tag deleted (by a user or by retention).
    case delete
    /// A tag set or moved.
    case tagMove = "tag.move"
    /// A legal hold placed or released.
    case hold
    /// The garbage collector took blobs out of the namespace (no version used them any more).
    case gcDelete = "gc.delete"
    /// A verification found stored bytes that do not match their address.
    case verifyFailure = "verify.failure"
    /// A replication item or mirror run failed (docs/replication.md): on an item's first failed
    /// attempt, when it gives up, and on each failed mirror of a pull rule.
    case replicationFailed = "replication.failed"

    /// The CloudEvents `type` attribute.
    public var cloudEventType: String { "dev.artifactstore.\(rawValue)" }

    /// What an endpoint gets when it names no events: everything but `pull`.
    public static let defaults: [WebhookEventName] = allCases.filter { $0 != .pull }
}

/// `POST /v1/namespaces/{ns}/webhooks`: a new endpoint. The secret is sent once and never shown again.
public struct WebhookCreateBody: Sendable, Hashable, Codable {
    public var url: String
    public var secret: String
    /// Event names (``WebhookEventName``); the defaults when absent or empty.
    public var events: [String]?

    public init(url: String, secret: String, events: [String]? = nil) {
        self.url = url
        self.secret = secret
        self.events = events
    }
}

/// A webhook endpoint as listed: never its secret.
public struct WebhookEndpoint: Sendable, Hashable, Codable {
    public var id: String
    public var namespace: String
    public var url: String
    public var events: [WebhookEventName]
    public var createdBy: String
    public var createdAt: Date

    public init(id: String, namespace: String, url: String, events: [WebhookEventName], createdBy: String, createdAt: Date) {
        self.id = id
        self.namespace = namespace
        self.url = url
        self.events = events
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// Where one event stands for one endpoint.
public enum WebhookDeliveryState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not yet answered with 2xx; retried with backoff.
    case pending
    /// Answered with 2xx.
    case delivered
    /// Given up after the last attempt (dead letter): kept for inspection.
    case dead
}

/// One event for one endpoint, as `webhook deliveries` lists it.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    /// `<event id>/<endpoint id>`.
    public var id: String
    /// The CloudEvents `id` (the same for every endpoint the event went to).
    public var eventID: String
    public var endpointID: String
    public var event: String
    public var state: WebhookDeliveryState
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
    /// The HTTP status of the last attempt, if one was received.
    public var lastStatus: Int?
    /// Why the last attempt failed (never a secret).
    public var lastError: String?

    public init(
        id: String,
        eventID: String,
        endpointID: String,
        event: String,
        state: WebhookDeliveryState,
        attempts: Int,
        createdAt: Date,
        nextAttemptAt: Date?,
        deliveredAt: Date?,
        lastStatus: Int?,
        lastError: String?
    ) {
        self.id = id
        self.eventID = eventID
        self.endpointID = endpointID
        self.event = event
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.lastStatus = lastStatus
        self.lastError = lastError
    }
}
