/// The result of checking the audit chain.
public struct AuditChainReport: Sendable, Hashable {
    /// Records read.
    public var recordsChecked: Int64
    /// The first record at which the chain breaks, or `nil` when it is intact.
    public var firstFault: AuditChainFault?

    public var isIntact: Bool { firstFault == nil }
}

/// Where and how the audit chain breaks.
public struct AuditChainFault: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// The record's fields do not hash to its stored hash: it was edited (or forged).
        case contentsAltered
        /// A sequence number is missing: records were deleted.
        case recordMissing
        /// The record does not follow the one before it (its previous hash differs): records
        /// were inserted or reordered.
        case chainBroken
        /// The log ends before (or after) the recorded head: records were removed from, or
        /// appended to, the end.
        case headMismatch
    }

    /// The sequence number of the first bad record (for `recordMissing`, the first missing one).
    public var sequence: Int64
    public var reason: Reason
    public var message: String

    public var description: String { "audit record \(sequence): \(reason.rawValue): \(message)" }
}
