/// Sends one signed webhook request: the one part of delivery that speaks HTTP.
///
/// Exists so the control plane keeps no HTTP client: `artifactstore serve` passes one built on
/// AsyncHTTPClient (no redirects followed, timeouts, the response body read only up to a bound).
/// Implementations throw for a request that got no answer (refused, timed out, cut).
public protocol WebhookTransport: Sendable {
    /// POSTs `body` with `headers` to `url`; returns the response status.
    func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int
}

/// How deliveries are retried and leased.
public struct WebhookDeliverySettings: Sendable, Hashable {
    /// Attempts before a delivery is dead (kept, shown by `webhook deliveries`, not retried).
    public var maximumAttempts: Int
    /// Wait after the first failure; doubled after each further failure, up to ``maximumBackoff``.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// How long a claimed delivery belongs to the node that claimed it. Longer than a request
    /// may take (the transport's timeout), so two nodes never send the same delivery at once.
    public var lease: Duration
    /// Deliveries claimed (and sent concurrently) per round.
    public var batchSize: Int
    /// How long delivered deliveries stay listed before they are removed (the outbox stays bounded).
    public var keepDelivered: Duration
    /// How long dead deliveries stay listed before they are removed.
    public var keepDead: Duration

    public init(
        maximumAttempts: Int = 12,
        initialBackoff: Duration = .seconds(5),
        maximumBackoff: Duration = .seconds(3600),
        lease: Duration = .seconds(120),
        batchSize: Int = 16,
        keepDelivered: Duration = .seconds(7 * 86_400),
        keepDead: Duration = .seconds(30 * 86_400)
    ) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.lease = lease
        self.batchSize = batchSize
        self.keepDelivered = keepDelivered
        self.keepDead = keepDead
    }

    /// The wait after failed attempt number `attempts` (1-based).
    func backoff(afterAttempt attempts: Int) -> Duration {
        var wait = initialBackoff
        for _ in 1..<max(1, attempts) {
            wait *= 2
            if wait >= maximumBackoff { return maximumBackoff }
        }
        return min(wait, maximumBackoff)
    }
}

/// Why a webhook request got no answer, in words a person reads in `webhook deliveries`
/// ("the connection was refused", "no answer within 30 s"): a transport throws it instead of its
/// HTTP library's own error, whose type name means nothing to the namespace's admins.
public struct WebhookTransportFailure: Error, Sendable, Hashable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}
