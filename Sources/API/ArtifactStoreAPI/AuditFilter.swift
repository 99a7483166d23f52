public import Foundation

/// Which audit records an export or a listing returns. Every condition set must hold.
public struct AuditFilter: Sendable, Hashable {
    /// Inclusive.
    public var since: Date?
    /// Exclusive.
    public var until: Date?
    public var actor: String?
    public var namespace: String?
    public var action: String?

    public init(since: Date? = nil, until: Date? = nil, actor: String? = nil, namespace: String? = nil, action: String? = nil) {
        self.since = since
        self.until = until
        self.actor = actor
        self.namespace = namespace
        self.action = action
    }
}
