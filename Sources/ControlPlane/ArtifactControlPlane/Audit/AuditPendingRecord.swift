import ArtifactMetadata
import ArtifactStoreCore
import Foundation
import SQLKit
import Synchronization

/// An audit record as its writer leaves it in `audit_pending`: not yet in the chain.
///
/// Exists so a change writes its record in its own transaction without touching any shared row:
/// the key ``id`` is random, and nothing about the chain is read. The sequencer
/// (``AuditSequencer``) later gives it a sequence number and a hash. ``mac`` is the writer's
/// HMAC over the record under key ``keyID``, so a pending record edited or forged in the database
/// before it is sealed is refused by the sequencer and reported by verification, never sealed.
struct AuditPendingRecord: Sendable, Hashable, AuditEventFields {
    /// Unique without coordination: 16 hex digits of a per-process strictly increasing clock in
    /// nanoseconds, then a UUID-shaped ``UniqueID`` (unique across processes by its random
    /// seed). Sealing orders by (``timeMilliseconds``, id), so records of one process stamped in
    /// the same millisecond keep the order they were written in.
    var id: String
    var timeMilliseconds: Int64
    var actor: String
    var action: String
    var namespace: String?
    var target: String
    var digests: [String]
    var outcome: String
    var requestID: String?
    var clientAddress: String?
    var detail: String?
    var keyID: String
    var mac: String

    /// The record of `event`, MAC'd with the keyring's active key.
    init(_ event: AuditEvent, context: RequestContext, at time: Int64, keys: AuditKeyring) {
        self.init(
            id: Self.newID(),
            timeMilliseconds: time,
            actor: context.actor,
            action: event.action,
            namespace: event.namespace,
            target: event.target,
            digests: event.digests,
            outcome: event.outcome.rawValue,
            requestID: context.requestID,
            clientAddress: context.clientAddress,
            detail: event.detail,
            keyID: keys.activeID,
            mac: ""
        )
        mac = keys.mac(canonicalEncoding, keyID: keyID) ?? ""
    }

    init(
        id: String,
        timeMilliseconds: Int64,
        actor: String,
        action: String,
        namespace: String?,
        target: String,
        digests: [String],
        outcome: String,
        requestID: String?,
        clientAddress: String?,
        detail: String?,
        keyID: String,
        mac: String
    ) {
        self.id = id
        self.timeMilliseconds = timeMilliseconds
        self.actor = actor
        self.action = action
        self.namespace = namespace
        self.target = target
        self.digests = digests
        self.outcome = outcome
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.detail = detail
        self.keyID = keyID
        self.mac = mac
    }

    private static let lastStamp = Atomic<UInt64>(0)

    static func newID() -> String {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000))
        var stamp = now
        while true {
            let last = lastStamp.load(ordering: .relaxed)
            stamp = max(now, last + 1)
            if lastStamp.compareExchange(expected: last, desired: stamp, ordering: .relaxed).exchanged { break }
        }
        let hex = String(stamp, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + "-" + UniqueID.next()
    }

    /// What ``mac`` covers: a header line, then every field but ``mac`` as in
    /// ``AuditRecord/canonicalEncoding``.
    var canonicalEncoding: [UInt8] {
        var out = Array("artifactstore-audit-pending-v1\n".utf8)
        func field(_ name: String, _ value: String?) { AuditRecord.appendField(name, value, to: &out) }
        field("id", id)
        appendEventFields(to: &out)
        field("key_id", keyID)
        return out
    }

    /// Whether ``mac`` is the writer's: computed under a key in `keys` over these fields.
    func isAuthentic(keys: AuditKeyring) -> Bool {
        guard let expected = keys.mac(canonicalEncoding, keyID: keyID) else { return false }
        return expected == mac
    }

    static let columns = "id, time, actor, action, namespace, target, digests, outcome, request_id, client_address, detail, key_id, mac"

    /// The record's row: one ``PreparedWrite``, so the SQLite writer runs a kept statement.
    static let insertRow = PreparedWrite("INSERT INTO audit_pending (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

    func insert(in db: any SQLDatabase) async throws {
        func optional(_ text: String?) -> PreparedValue { text.map { .text($0) } ?? .null }
        _ = try await db.changes(
            Self.insertRow,
            binding: [
                .text(id), .integer(timeMilliseconds), .text(actor), .text(action), optional(namespace), .text(target),
                .text(digests.joined(separator: " ")), .text(outcome), optional(requestID), optional(clientAddress), optional(detail),
                .text(keyID), .text(mac),
            ]
        )
    }

    /// A row of `audit_pending`; throws when a column does not decode (the row was damaged).
    init(row: any SQLRow) throws {
        let digests = try row.string("digests")
        self.init(
            id: try row.string("id"),
            timeMilliseconds: try row.int("time"),
            actor: try row.string("actor"),
            action: try row.string("action"),
            namespace: try row.optionalString("namespace"),
            target: try row.string("target"),
            digests: digests.isEmpty ? [] : digests.split(separator: " ").map(String.init),
            outcome: try row.string("outcome"),
            requestID: try row.optionalString("request_id"),
            clientAddress: try row.optionalString("client_address"),
            detail: try row.optionalString("detail"),
            keyID: try row.string("key_id"),
            mac: try row.string("mac")
        )
    }
}
