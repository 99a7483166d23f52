import ArtifactIdentity
import Crypto
import Foundation

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
        Digest(SHA256.hash(data: canonicalEncoding)).hex
    }
}

extension AuditRecord {
    /// The record of `event` that follows `head`, with its hash.
    init(_ event: AuditEvent, context: RequestContext, at time: Int64, after head: AuditLog.AuditHead) {
        self.init(
            sequence: head.sequence + 1, timeMilliseconds: time, actor: context.actor, action: event.action,
            namespace: event.namespace, target: event.target, digests: event.digests, outcome: event.outcome.rawValue,
            requestID: context.requestID, clientAddress: context.clientAddress, detail: event.detail,
            previousHash: head.hash, hash: "")
        hash = computedHash
    }
}
