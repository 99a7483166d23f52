import ArtifactIdentity
import Crypto
public import Foundation

/// One record of the audit log, as stored and as exported (one JSON object per line).
///
/// Exists so every mutation and every failed authorisation leaves a tamper-evident trace:
/// ``hash`` is an HMAC-SHA256 under the key ``keyID`` names over ``canonicalEncoding`` (which
/// includes ``previousHash``), so changing, removing, inserting or reordering records breaks the
/// chain (`AuditLog.verifyChain()`), and rebuilding it needs the key, which is not in the
/// database. Records sealed before schema version 5 have no ``keyID``: their hash is a plain
/// SHA-256 (``computedHash``), and no such record may follow a keyed one.
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
    /// Lowercase hex HMAC-SHA256 of ``canonicalEncoding`` under key ``keyID``, or SHA-256 of it
    /// for a record without ``keyID``.
    public var hash: String
    /// The audit key that sealed the record; `nil` for records sealed before schema version 5.
    public var keyID: String?

    /// The previous hash of the first record.
    public static let genesisHash = String(repeating: "0", count: 64)

    public var time: Date { Date(milliseconds: timeMilliseconds) }

    /// The bytes the hash covers: a fixed header line (`artifactstore-audit-v1` without a key
    /// id, `-v2` with one), then every field except ``hash`` in a fixed order, each as
    /// `name:<utf8 length>:<value>\n`, or `name:-\n` when absent (v2 ends with `key_id`).
    /// Digests are joined by single spaces.
    public var canonicalEncoding: [UInt8] {
        var out = Array((keyID == nil ? "artifactstore-audit-v1\n" : "artifactstore-audit-v2\n").utf8)
        func field(_ name: String, _ value: String?) { AuditRecord.appendField(name, value, to: &out) }
        field("sequence", String(sequence))
        appendEventFields(to: &out)
        field("previous_hash", previousHash)
        if let keyID { field("key_id", keyID) }
        return out
    }

    /// `name:<utf8 length>:<value>\n`, or `name:-\n` for `nil`.
    static func appendField(_ name: String, _ value: String?, to out: inout [UInt8]) {
        if let value {
            out += Array("\(name):\(value.utf8.count):".utf8) + Array(value.utf8) + [0x0A]
        } else {
            out += Array("\(name):-\n".utf8)
        }
    }

    /// The plain SHA-256 of ``canonicalEncoding``: the hash of a record without ``keyID``.
    public var computedHash: String {
        Digest(SHA256.hash(data: canonicalEncoding)).hex
    }

    /// The hash the record should carry, computed from its fields: the HMAC under its key, or the
    /// plain SHA-256 without ``keyID``; `nil` when `keys` lacks its key.
    public func computedHash(keys: AuditKeyring) -> String? {
        guard let keyID else { return computedHash }
        return keys.mac(canonicalEncoding, keyID: keyID)
    }
}

extension AuditRecord {
    /// The sealed form of `pending`, following the record (`sequence`, `hash`) of `head`, sealed
    /// with the keyring's active key; `nil` when that key is missing (it never is: the keyring
    /// made it active).
    init?(sealing pending: AuditPendingRecord, after head: AuditHead, keys: AuditKeyring) {
        self.init(
            sequence: head.sequence + 1,
            timeMilliseconds: pending.timeMilliseconds,
            actor: pending.actor,
            action: pending.action,
            namespace: pending.namespace,
            target: pending.target,
            digests: pending.digests,
            outcome: pending.outcome,
            requestID: pending.requestID,
            clientAddress: pending.clientAddress,
            detail: pending.detail,
            previousHash: head.hash,
            hash: "",
            keyID: keys.activeID
        )
        guard let mac = computedHash(keys: keys) else { return nil }
        hash = mac
    }
}

/// A chain head: the last sealed record's sequence number and hash (0 and the genesis hash for
/// an empty log).
struct AuditHead: Sendable, Equatable {
    let sequence: Int64
    let hash: String

    static let genesis = AuditHead(sequence: 0, hash: AuditRecord.genesisHash)
}

/// The fields a sealed record and its pending form share, encoded in one order by both
/// canonical encodings (between the first field, `sequence` or `id`, and the last ones).
protocol AuditEventFields {
    var timeMilliseconds: Int64 { get }
    var actor: String { get }
    var action: String { get }
    var namespace: String? { get }
    var target: String { get }
    var digests: [String] { get }
    var outcome: String { get }
    var requestID: String? { get }
    var clientAddress: String? { get }
    var detail: String? { get }
}

extension AuditEventFields {
    /// `time` … `detail`, as ``AuditRecord/appendField(_:_:to:)`` writes each.
    func appendEventFields(to out: inout [UInt8]) {
        func field(_ name: String, _ value: String?) { AuditRecord.appendField(name, value, to: &out) }
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
    }
}

extension AuditRecord: AuditEventFields {}
