public import Foundation

/// The state of one configured backend, as `/readyz` and `/metrics` report it.
public struct BackendStatus: Sendable, Hashable, Codable {
    /// The backend's configured name.
    public var backendID: String
    /// Whether this is the backend used when no `backendID` is given.
    public var isDefault: Bool
    /// The backend answered.
    public var reachable: Bool
    /// The backend accepted a write probe (or says it would).
    public var writable: Bool
    /// How long the check took, in seconds.
    public var latencySeconds: Double
    /// Free bytes, where the backend knows them.
    public var freeBytes: UInt64?
    /// Total bytes, where the backend knows them.
    public var totalBytes: UInt64?
    /// A short explanation, saying why when not healthy.
    public var message: String
    /// When the check ran.
    public var checkedAt: Date

    public init(
        backendID: String,
        isDefault: Bool,
        reachable: Bool,
        writable: Bool,
        latencySeconds: Double,
        freeBytes: UInt64? = nil,
        totalBytes: UInt64? = nil,
        message: String,
        checkedAt: Date
    ) {
        self.backendID = backendID
        self.isDefault = isDefault
        self.reachable = reachable
        self.writable = writable
        self.latencySeconds = latencySeconds
        self.freeBytes = freeBytes
        self.totalBytes = totalBytes
        self.message = message
        self.checkedAt = checkedAt
    }

    /// Reachable and writable.
    public var isHealthy: Bool { reachable && writable }
}
