package import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import Foundation
package import SQLKit

/// The second half of ``Registry/ingestBlob(namespace:_:hints:context:)``: recording that the
/// bytes just ingested exist and are linked into a namespace (or held by an upload session as a
/// chunk), without ever acknowledging bytes a concurrent garbage collection is deleting
/// (docs/control-plane.md, "GC protocol").
///
/// A blob row is `live`, `deleting` (the collector decided to delete the bytes and may be doing
/// so now) or `deleted` (the bytes are gone). Only the collector moves `live` → `deleting` →
/// `deleted`, and only for a row with no links, no version files and no upload chunks, in a serializable
/// transaction; linking writes the same row, so the two never both succeed on the same state.
/// - no row: the collector has never known these bytes, so it cannot be deleting them: link.
/// - `live`: link (and clear any "unreferenced since" mark). The collector can no longer pick it.
/// - `deleting`: wait until the collector finishes (bounded), then decide as below.
/// - `deleted`: the bytes may have been deleted after this ingest stored or deduplicated them.
///   Re-verify them through the data plane; only if they are there, and the row has not changed
///   since (its `state_changed_at`: the reconciler may claim a `deleted` row to remove a stray
///   copy of the same bytes, Reconciler+Removal.swift), is the row revived, with this ingest's
///   digests and backend, and the link made. Otherwise answer `blobCollected`: the push is not
///   acknowledged.
package struct BlobLinking: Sendable {
    let controlPlane: ControlPlane

    package init(controlPlane: ControlPlane) {
        self.controlPlane = controlPlane
    }

    private enum Outcome<Recorded: Sendable>: Sendable {
        case recorded(Recorded)
        case collecting
        /// The row is `deleted` (or gone); its `state_changed_at` then (-1 without a row).
        case collected(Int64)
    }

    /// Links `result` into `namespace`, which the caller has found to exist (namespaces are
    /// never deleted, so the transaction does not look again); `alsoRecording` (if any) runs in
    /// the same transaction before the link (ArtifactOCI records a SHA-512 → address mapping
    /// there), `thenRecording` (if any) after the link and its audit record, with the linked
    /// blob and the transaction's time (ArtifactOCI ends the upload session the blob closes).
    package func link(
        _ result: IngestResult,
        into namespace: String,
        context: RequestContext,
        alsoRecording: (@Sendable (any SQLDatabase) async throws -> Void)? = nil,
        thenRecording: (@Sendable (any SQLDatabase, LinkedBlob, Int64) async throws -> Void)? = nil
    ) async throws(ControlPlaneError) -> LinkedBlob {
        try await record(result, namespace: namespace, namespaceChecked: true, purpose: "linking") { db, now in
            let address = result.address.description
            try await alsoRecording?(db)
            // The row `record` made live holds this size: the address is the digest of these bytes.
            try await NamespaceUsageCounter.link(address, size: Int64(result.size), into: namespace, at: now, in: db)
            try await AuditLog.append(
                AuditEvent(
                    action: "blob.link",
                    namespace: namespace,
                    target: address,
                    digests: [address],
                    detail: result.receipt.repaired ? "repaired" : result.receipt.deduplicated ? "deduplicated" : nil
                ),
                context: context,
                at: now,
                in: db
            )
            let linked = LinkedBlob(
                namespace: namespace,
                address: result.address,
                size: result.size,
                sha256: result.sha256Digest,
                blake3: result.blake3Digest,
                deduplicated: result.receipt.deduplicated,
                repaired: result.receipt.repaired ? true : nil
            )
            try await thenRecording?(db, linked, now)
            return linked
        }
    }

    /// Makes sure the row of the bytes `result` names is `live`, then runs `reference` in the
    /// same transaction to record what refers to them (a namespace link, an upload's chunk), so
    /// the collector sees the reference no later than it could see the row. `reference` runs
    /// only once the row is `live`; what it returns is the answer. The transaction refuses a
    /// missing namespace (`namespaceNotFound`) unless `namespaceChecked` says the caller did.
    package func record<Recorded: Sendable>(
        _ result: IngestResult,
        namespace: String,
        namespaceChecked: Bool = false,
        purpose: String,
        reference: @escaping @Sendable (any SQLDatabase, Int64) async throws -> Recorded
    ) async throws(ControlPlaneError) -> Recorded {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: controlPlane.configuration.collectionWaitLimit)
        // The `state_changed_at` of the `deleted` row whose bytes were last re-verified.
        var reviving: Int64?
        while true {
            switch try await attempt(
                result,
                namespace: namespace,
                namespaceChecked: namespaceChecked,
                purpose: purpose,
                reviving: reviving,
                reference: reference
            )
            {
            case .recorded(let recorded):
                return recorded
            case .collecting:
                guard clock.now < deadline else {
                    throw ControlPlaneError(
                        .blobCollected,
                        "blob \(result.address) was being garbage-collected while it was ingested into \"\(namespace)\"; push it again"
                    )
                }
                try? await Task.sleep(for: .milliseconds(10))
            case .collected(let changedAt):
                let present: Bool
                do {
                    present = try await controlPlane.dataPlane.verify(result.address, backendID: result.receipt.backendID).verified
                } catch {
                    present = false
                }
                guard present else {
                    throw ControlPlaneError(
                        .blobCollected,
                        "blob \(result.address) was garbage-collected while it was ingested into \"\(namespace)\"; push it again"
                    )
                }
                reviving = changedAt
            }
        }
    }

    /// The blob's row inserted `live`, or a `live` row's "unreferenced since" mark cleared; a
    /// row in one of the collector's states is not changed.
    static let insertLive = PreparedWrite(
        """
        INSERT INTO blobs (address, backend_id, size, sha256, blake3, state, created_at, unreferenced_since, state_changed_at)
        VALUES (?, ?, ?, ?, ?, 'live', ?, NULL, ?)
        ON CONFLICT (address) DO UPDATE SET unreferenced_since = NULL WHERE blobs.state = 'live'
        """
    )

    private func attempt<Recorded: Sendable>(
        _ result: IngestResult,
        namespace: String,
        namespaceChecked: Bool,
        purpose: String,
        reviving: Int64?,
        reference: @escaping @Sendable (any SQLDatabase, Int64) async throws -> Recorded
    ) async throws(ControlPlaneError) -> Outcome<Recorded> {
        let now = controlPlane.nowMilliseconds()
        let address = result.address.description
        return try await controlPlane.mutate("\(purpose) blob \(address) into \"\(namespace)\"") { db in
            if !namespaceChecked {
                _ = try await Registry.requireNamespace(namespace, in: db)
            }
            // One statement for the usual cases: a new row is inserted `live`, a `live` row has
            // its "unreferenced since" mark cleared, and either counts as a change. A row in one
            // of the collector's states is left as it is, no change: then it is read.
            let live = try await db.changes(
                Self.insertLive,
                binding: [
                    .text(address), .text(result.receipt.backendID), .integer(Int64(result.size)), .text(result.sha256Digest.description),
                    .text(result.blake3Digest.description), .integer(now), .integer(now),
                ]
            )
            if live == 0 {
                let row = try await db.raw("SELECT state, state_changed_at FROM blobs WHERE address = \(bind: address)").first()
                switch try row?.string("state") {
                case "deleting":
                    return .collecting
                default:
                    let changedAt = try row?.int("state_changed_at") ?? -1
                    guard reviving == changedAt else { return .collected(changedAt) }
                    try await db.raw(
                        """
                        UPDATE blobs SET state = 'live', unreferenced_since = NULL, state_changed_at = \(bind: now),
                        backend_id = \(bind: result.receipt.backendID), size = \(bind: Int64(result.size)),
                        sha256 = \(bind: result.sha256Digest.description), blake3 = \(bind: result.blake3Digest.description)
                        WHERE address = \(bind: address)
                        """
                    ).run()
                }
            }
            return .recorded(try await reference(db, now))
        }
    }
}
