public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import Foundation
import Logging
import SQLKit

/// What one garbage collection did.
public struct GarbageCollectionReport: Sendable, Hashable {
    /// `false` when another collector held the lock and this one did nothing.
    public var ran: Bool
    /// `true` for a dry run: the counts say what a collection now would do; nothing changed.
    public var dryRun = false
    /// Links older than the grace period that no committed version used, removed.
    public var linksExpired = 0
    /// Blobs found without any reference and marked "unreferenced since now".
    public var blobsMarked = 0
    /// Blobs whose bytes were deleted (their rows are now `deleted`).
    public var blobsDeleted = 0
    /// Bytes the data plane reported removed.
    public var bytesDeleted: UInt64 = 0
    /// Deletions the data plane refused; the blob stays `deleting` and the next run retries.
    public var deletionsFailed = 0
    /// Pages of rows read in all phases.
    public var pagesRead = 0
    /// The most rows held in memory at once (one page): what bounds the collector's memory.
    public var largestPage = 0

    public init(ran: Bool) {
        self.ran = ran
    }

    mutating func sawPage(_ rows: Int) {
        pagesRead += 1
        largestPage = max(largestPage, rows)
    }
}

/// Online garbage collection of blobs: deletes bytes no committed version and no upload in
/// flight references, only after a grace period (docs/control-plane.md, "GC protocol").
///
/// Exists so storage is reclaimed while pushes, re-pushes and deletes go on, without ever
/// deleting a referenced blob or losing an acknowledged push. Every phase reads at most
/// ``ControlPlane/Configuration/gcPageSize`` rows at a time (keyset paging), so memory does not
/// grow with the store. On PostgreSQL a session advisory lock lets one collector run at a time
/// across every process sharing the database.
///
/// Phases, with `cutoff = now − grace`:
/// 1. Expire links: a link older than the cutoff that no committed version in its namespace uses
///    is an abandoned upload; it is removed.
/// 2. Mark: a `live` blob with no link, no version file and no OCI upload chunk
///    (`oci_upload_chunks`: a live upload session holds it) gets `unreferenced_since = now` (a
///    blob that is referenced again loses the mark).
/// 3. Sweep: for each blob marked before the cutoff, one transaction re-checks that it is still
///    `live`, marked before the cutoff, unlinked and unused, and moves it to `deleting`; then the
///    bytes are deleted through the data plane; then a second transaction moves it to `deleted`,
///    removes its `blob_digests` aliases (OCI sha512) and appends the `gc.delete` audit record.
///    Blobs left `deleting` by an earlier failure are retried first.
public struct GarbageCollector: Sendable {
    let controlPlane: ControlPlane

    /// Runs one collection now, unless another collector is running (then `ran == false`).
    public func collect() async throws(ControlPlaneError) -> GarbageCollectionReport {
        let startedAt = controlPlane.nowMilliseconds()
        let report: GarbageCollectionReport
        do {
            report =
                try await controlPlane.store.withExclusiveLock(named: "gc") {
                    try await self.collectHoldingLock()
                } ?? GarbageCollectionReport(ran: false)
        } catch {
            throw ControlPlaneError.wrapping(error, "collecting garbage")
        }
        if report.ran { await controlPlane.maintenanceRuns.record(report, startedAt: startedAt) }
        return report
    }

    /// Runs one collection now, or with `dryRun` reports what it would do without changing
    /// anything (see ``dryRun()``).
    public func collect(dryRun: Bool) async throws(ControlPlaneError) -> GarbageCollectionReport {
        dryRun ? try await self.dryRun() : try await collect()
    }

    /// A service that collects at once and then every `interval` of `clock` until shutdown,
    /// passing each run's report to `onReport`.
    public func service<C: Clock<Duration>>(
        interval: Duration,
        clock: C = ContinuousClock(),
        onReport: @escaping @Sendable (GarbageCollectionReport) -> Void = { _ in }
    ) -> GarbageCollectorService<C> {
        GarbageCollectorService(collector: self, interval: interval, clock: clock, logger: controlPlane.logger, onReport: onReport)
    }

    private func collectHoldingLock() async throws -> GarbageCollectionReport {
        var report = GarbageCollectionReport(ran: true)
        let now = controlPlane.nowMilliseconds()
        let cutoff = now - controlPlane.configuration.gcGracePeriod.milliseconds
        let pageSize = max(1, controlPlane.configuration.gcPageSize)
        try await expireLinks(cutoff: cutoff, now: now, pageSize: pageSize, report: &report)
        try await mark(now: now, pageSize: pageSize, report: &report)
        try await sweep(.unfinished, cutoff: cutoff, pageSize: pageSize, report: &report)
        try await sweep(.due, cutoff: cutoff, pageSize: pageSize, report: &report)
        controlPlane.logger.debug(
            "garbage collection finished",
            metadata: [
                "linksExpired": "\(report.linksExpired)", "blobsMarked": "\(report.blobsMarked)",
                "blobsDeleted": "\(report.blobsDeleted)", "bytesDeleted": "\(report.bytesDeleted)",
            ]
        )
        return report
    }

    // MARK: Phase 1: expire links

    private func expireLinks(cutoff: Int64, now: Int64, pageSize: Int, report: inout GarbageCollectionReport) async throws {
        var after = ("", "")
        while true {
            let position = after
            // Candidates, a page at a time: links older than the cutoff that no version uses.
            let page = try await controlPlane.store.read { db in
                try await db.raw(
                    """
                    SELECT l.namespace, l.address FROM links l
                    WHERE l.linked_at < \(bind: cutoff) AND (l.namespace > \(bind: position.0) OR (l.namespace = \(bind: position.0) AND l.address > \(bind: position.1)))
                    AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.namespace = l.namespace AND f.address = l.address)
                    ORDER BY l.namespace, l.address LIMIT \(literal: pageSize)
                    """
                ).all().map { (try $0.string("namespace"), try $0.string("address")) }
            }
            report.sawPage(page.count)
            guard let last = page.last else { return }
            // Re-checked and removed in one transaction, with one audit record per namespace.
            let expired = try await controlPlane.transaction(priority: .background) { db in
                var expired: [String] = []
                for (namespace, entries) in Dictionary(grouping: page, by: \.0).sorted(by: { $0.key < $1.key }) {
                    let addresses = entries.map(\.1)
                    let confirmed = try await db.raw(
                        """
                        SELECT l.address FROM links l WHERE l.namespace = \(bind: namespace) AND l.address IN (\(binds: addresses)) AND l.linked_at < \(bind: cutoff)
                        AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.namespace = l.namespace AND f.address = l.address)
                        ORDER BY l.address
                        """
                    ).all().map { try $0.string("address") }
                    guard !confirmed.isEmpty else { continue }
                    try await NamespaceUsageCounter.uncharge(links: confirmed, of: namespace, in: db)
                    try await db.raw("DELETE FROM links WHERE namespace = \(bind: namespace) AND address IN (\(binds: confirmed))").run()
                    for address in confirmed {
                        if let address = try? Registry.address(address) { try await controlPlane.publish(.blob(address), in: db) }
                    }
                    try await AuditLog.append(
                        AuditEvent(
                            action: "gc.unlink",
                            namespace: namespace,
                            target: "\(confirmed.count) abandoned link(s)",
                            digests: confirmed,
                            detail: "linked before the grace period and used by no version"
                        ),
                        context: .garbageCollector,
                        at: now,
                        in: db
                    )
                    expired += confirmed
                }
                return expired
            }
            // A namespace no longer sees these blobs: drop what this process cached about them.
            for address in expired {
                if let address = try? Registry.address(address) { controlPlane.caches.apply(.blob(address)) }
            }
            report.linksExpired += expired.count
            if page.count < pageSize { return }
            after = last
        }
    }

    // MARK: Phase 2: mark

    private func mark(now: Int64, pageSize: Int, report: inout GarbageCollectionReport) async throws {
        var after = ""
        while true {
            let position = after
            // Every blob row in address order (the primary key), whatever its state: the page
            // query then never depends on the planner choosing a secondary index.
            let page = try await controlPlane.store.read { db in
                try await db.raw(
                    "SELECT address FROM blobs WHERE address > \(bind: position) ORDER BY address LIMIT \(literal: pageSize)"
                ).all().map { try $0.string("address") }
            }
            report.sawPage(page.count)
            guard let last = page.last else { return }
            let marked = try await controlPlane.transaction(priority: .background) { db in
                let unreferenced = try await db.raw(
                    """
                    SELECT b.address FROM blobs b WHERE b.address IN (\(binds: page)) AND b.state = 'live' AND b.unreferenced_since IS NULL
                    AND NOT EXISTS (SELECT 1 FROM links l WHERE l.address = b.address)
                    AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.address = b.address)
                    AND NOT EXISTS (SELECT 1 FROM oci_upload_chunks c WHERE c.address = b.address)
                    """
                ).all().map { try $0.string("address") }
                if !unreferenced.isEmpty {
                    try await db.raw("UPDATE blobs SET unreferenced_since = \(bind: now) WHERE address IN (\(binds: unreferenced))").run()
                }
                try await db.raw(
                    """
                    UPDATE blobs SET unreferenced_since = NULL WHERE address IN (\(binds: page)) AND unreferenced_since IS NOT NULL
                    AND (EXISTS (SELECT 1 FROM links l WHERE l.address = blobs.address) OR EXISTS (SELECT 1 FROM version_files f WHERE f.address = blobs.address)
                         OR EXISTS (SELECT 1 FROM oci_upload_chunks c WHERE c.address = blobs.address))
                    """
                ).run()
                return unreferenced.count
            }
            report.blobsMarked += marked
            if page.count < pageSize { return }
            after = last
        }
    }

    // MARK: Phase 3: sweep

    /// Which blobs a sweep deletes.
    private enum Sweep {
        /// Blobs left `deleting` by an earlier run: already decided, only the bytes and the
        /// final state are missing.
        case unfinished
        /// `live` blobs marked unreferenced before the cutoff: decided blob by blob (T1).
        case due
    }

    private func sweep(_ sweep: Sweep, cutoff: Int64, pageSize: Int, report: inout GarbageCollectionReport) async throws {
        let retrying = sweep == .unfinished
        var after = ""
        while true {
            let position = after
            let page = try await controlPlane.store.read { db in
                let condition: SQLQueryString =
                    retrying
                    ? "state = 'deleting'" : "state = 'live' AND unreferenced_since IS NOT NULL AND unreferenced_since < \(bind: cutoff)"
                return try await db.raw(
                    "SELECT address, backend_id FROM blobs WHERE " + condition
                        + " AND address > \(bind: position) ORDER BY address LIMIT \(literal: pageSize)"
                ).all().map { (try $0.string("address"), try $0.string("backend_id")) }
            }
            report.sawPage(page.count)
            guard let last = page.last else { return }
            for (address, backendID) in page {
                try await collect(address: address, backendID: backendID, cutoff: cutoff, retrying: retrying, report: &report)
            }
            if page.count < pageSize { return }
            after = last.0
        }
    }

    private func collect(
        address: String,
        backendID: String,
        cutoff: Int64,
        retrying: Bool,
        report: inout GarbageCollectionReport
    ) async throws {
        let decidedAt = controlPlane.nowMilliseconds()
        if !retrying {
            let decided = try await controlPlane.transaction(priority: .background) { db in
                let doomed =
                    try await db.raw(
                        """
                        SELECT b.address FROM blobs b WHERE b.address = \(bind: address) AND b.state = 'live'
                        AND b.unreferenced_since IS NOT NULL AND b.unreferenced_since < \(bind: cutoff)
                        AND NOT EXISTS (SELECT 1 FROM links l WHERE l.address = b.address)
                        AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.address = b.address)
                        AND NOT EXISTS (SELECT 1 FROM oci_upload_chunks c WHERE c.address = b.address)
                        """
                    ).first() != nil
                guard doomed else { return false }
                try await db.raw(
                    "UPDATE blobs SET state = 'deleting', state_changed_at = \(bind: decidedAt) WHERE address = \(bind: address)"
                ).run()
                if let doomed = try? Registry.address(address) { try await controlPlane.publish(.blob(doomed), in: db) }
                return true
            }
            guard decided else { return }
        }
        let contentAddress = try Registry.address(address)
        // The bytes are about to go: no cached fact or content may answer for them any more.
        controlPlane.caches.apply(.blob(contentAddress))
        let deletion: DeletionResult
        do {
            deletion = try await controlPlane.dataPlane.delete(contentAddress, backendID: backendID)
        } catch {
            report.deletionsFailed += 1
            controlPlane.logger.warning(
                "GC could not delete a blob; it will be retried",
                metadata: ["address": "\(address)", "error": "\(error)"]
            )
            return
        }
        let finishedAt = controlPlane.nowMilliseconds()
        try await controlPlane.transaction(priority: .background) { db in
            try await db.raw(
                "UPDATE blobs SET state = 'deleted', unreferenced_since = NULL, state_changed_at = \(bind: finishedAt) WHERE address = \(bind: address) AND state = 'deleting'"
            ).run()
            // The other digests clients named these bytes by (OCI sha512) go with them; a push
            // that revives the blob records its own again, in the transaction that links it.
            try await db.raw(
                """
                DELETE FROM blob_digests WHERE address = \(bind: address)
                AND EXISTS (SELECT 1 FROM blobs b WHERE b.address = \(bind: address) AND b.state = 'deleted')
                """
            ).run()
            try await AuditLog.append(
                AuditEvent(
                    action: "gc.delete",
                    namespace: nil,
                    target: address,
                    digests: [address],
                    detail: deletion.removed ? "\(deletion.bytesRemoved) bytes from \(backendID)" : "already absent from \(backendID)"
                ),
                context: .garbageCollector,
                at: finishedAt,
                in: db
            )
        }
        report.blobsDeleted += 1
        report.bytesDeleted += deletion.bytesRemoved
    }
}
