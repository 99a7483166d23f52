/// The result of checking the audit chain.
public struct AuditChainReport: Sendable, Hashable {
    /// Sealed records read.
    public var recordsChecked: Int64
    /// Records written but not yet sealed into the chain when the check ran (their bound:
    /// docs/control-plane.md, "Audit log"). They are checked for forgery, not counted in
    /// ``recordsChecked``.
    public var recordsPending: Int64 = 0
    /// The first record at which the chain breaks, or `nil` when it is intact.
    public var firstFault: AuditChainFault?

    public var isIntact: Bool { firstFault == nil }

    public init(recordsChecked: Int64, recordsPending: Int64 = 0, firstFault: AuditChainFault?) {
        self.recordsChecked = recordsChecked
        self.recordsPending = recordsPending
        self.firstFault = firstFault
    }
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
        /// A column of the record cannot be read as its type (a time that is not a whole
        /// number, text where a number belongs): it was edited in the database.
        case malformed
        /// The record names an audit key this server does not hold (a key file without the
        /// old keys after a rotation, or a forged key id).
        case keyUnknown
        /// A pending (not yet sealed) record whose writer's MAC does not match: it was edited or
        /// forged in the database. The sequencer leaves it unsealed.
        case pendingForged
    }

    /// The sequence number of the first bad record (for `recordMissing`, the first missing one;
    /// 0 for a pending record, which has none yet: see ``pendingID``).
    public var sequence: Int64
    public var reason: Reason
    public var message: String
    /// The id of the bad pending record, for `pendingForged`.
    public var pendingID: String?

    public init(sequence: Int64, reason: Reason, message: String, pendingID: String? = nil) {
        self.sequence = sequence
        self.reason = reason
        self.message = message
        self.pendingID = pendingID
    }

    public var description: String {
        if let pendingID { return "pending audit record \(pendingID): \(reason.rawValue): \(message)" }
        return "audit record \(sequence): \(reason.rawValue): \(message)"
    }
}
