/// Whether an audited action happened.
public enum AuditOutcome: String, Sendable, Hashable, Codable {
    /// The change was made.
    case success
    /// An authorisation was refused (unauthenticated or forbidden).
    case denied
}

/// What a mutation tells the audit log; the log adds time, actor, request id, client address,
/// sequence number and hashes.
public struct AuditEvent: Sendable, Hashable {
    /// Dotted verb, e.g. `version.commit`, `tag.set`, `gc.delete`, `auth.denied`.
    public var action: String
    public var namespace: String?
    /// What was acted on, e.g. `ns/artifact@1.0`, `ns/artifact:latest`, a digest or a token id.
    public var target: String
    /// Content addresses concerned.
    public var digests: [String]
    public var outcome: AuditOutcome
    /// Free text (reasons, previous values); never a secret.
    public var detail: String?

    public init(
        action: String,
        namespace: String?,
        target: String,
        digests: [String] = [],
        outcome: AuditOutcome = .success,
        detail: String? = nil
    ) {
        self.action = action
        self.namespace = namespace
        self.target = target
        self.digests = digests
        self.outcome = outcome
        self.detail = detail
    }
}
