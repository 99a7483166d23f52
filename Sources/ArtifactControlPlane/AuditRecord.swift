import Crypto
import Foundation

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

    public init(action: String, namespace: String?, target: String, digests: [String] = [], outcome: AuditOutcome = .success, detail: String? = nil) {
        self.action = action
        self.namespace = namespace
        self.target = target
        self.digests = digests
        self.outcome = outcome
        self.detail = detail
    }
}

/// One record of the audit log, as stored and as exported (one JSON object per line).
///
/// Exists so every mutation and every failed authorisation leaves a tamper-evident trace:
/// ``hash`` is SHA-256 over ``canonicalEncoding`` (which includes ``previousHash``), so changing,
/// removing, inserting or reordering records breaks the chain (`AuditLog.verifyChain()`).
public struct AuditRecord: Sendable, Hashable, Codable {
    /// 1, 2, 3, … without gaps.
    public var sequence: Int64
    /// Milliseconds since 1970.
    public var timeMilliseconds: Int64
    public var actor: String
    public var action: String
    public var namespace: String?
    public var target: String
    public var digests: [String]
    public var outcome: String
    public var requestID: String?
    public var clientAddress: String?
    public var detail: String?
    /// ``hash`` of the previous record; 64 zeros for the first.
    public var previousHash: String
    /// Lowercase hex SHA-256 of ``canonicalEncoding``.
    public var hash: String

    /// The previous hash of the first record.
    public static let genesisHash = String(repeating: "0", count: 64)

    public var time: Date { Date(milliseconds: timeMilliseconds) }

    /// The bytes the hash covers: a fixed header line, then every field except ``hash`` in a
    /// fixed order, each as `name:<utf8 length>:<value>\n`, or `name:-\n` when absent.
    /// Digests are joined by single spaces.
    public var canonicalEncoding: [UInt8] {
        var out = Array("artifactstore-audit-v1\n".utf8)
        func field(_ name: String, _ value: String?) {
            if let value {
                out += Array("\(name):\(value.utf8.count):".utf8) + Array(value.utf8) + [0x0A]
            } else {
                out += Array("\(name):-\n".utf8)
            }
        }
        field("sequence", String(sequence))
        field("time", String(timeMilliseconds))
        field("actor", actor)
        field("action", action)
        field("namespace", namespace)
        field("target", target)
        field("digests", digests.joined(separator: " "))
        field("outcome", outcome)
        field("request_id", requestID)
        field("client_address", clientAddress)
        field("detail", detail)
        field("previous_hash", previousHash)
        return out
    }

    /// The hash the record should carry, computed from its fields.
    public var computedHash: String {
        SHA256.hash(data: canonicalEncoding).map { String(format: "%02x", $0) }.joined()
    }
}

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
