public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import Foundation
import Logging
import SQLKit

/// Compares what the backends hold with what the metadata says they hold: finds stray files (an
/// object or outboard no row accounts for) and `live` rows whose object is missing (or, with
/// ``ReconcileOptions/verifiesBlobs``, does not prove its address), and removes strays older
/// than the GC grace period (docs/control-plane.md, "Reconciliation").
///
/// Exists because two things leave bytes no row knows: an ingest whose process died between
/// storing the object and linking it, and an ingest of collected content that was never linked.
/// Nothing else would ever remove them. Age is the object's modification time as the backend's
/// listing reports it (the time its bytes were written), compared with the control plane's
/// clock; a stray is removed only past the grace period, and only through the same row states
/// the collector uses, so an ingest that is about to link the same bytes is refused
/// (`blobCollected`) rather than acknowledged without them (``removeStray(_:backendID:rowState:)``).
///
/// Memory is bounded: listings and rows are read a page at a time, and the report keeps at most
/// ``ReconcileOptions/listLimit`` findings of each kind. A removing run holds the `gc` lock, so
/// it never overlaps a collection or another reconciler, in any process sharing the database.
public struct Reconciler: Sendable {
    let controlPlane: ControlPlane
    let inventory: any StoredObjectInventory

    /// Runs one reconciliation now. A removing run does nothing (`ran == false`) while another
    /// collector or reconciler holds the `gc` lock; a reporting run takes no lock.
    ///
    /// - Throws: `dataPlane` when a backend cannot be listed, `database` when the rows cannot be read.
    public func run(_ options: ReconcileOptions) async throws(ControlPlaneError) -> ReconcileReport {
        guard options.removesStrays else { return try await scan(options) }
        do {
            return try await controlPlane.store.withExclusiveLock(named: "gc") {
                try await self.scan(options)
            } ?? ReconcileReport(ran: false)
        } catch {
            throw ControlPlaneError.wrapping(error, "reconciling storage with the metadata")
        }
    }

    /// A service that reconciles, removing strays past the grace period, at once and then every
    /// `interval` of `clock`.
    public func service<C: Clock<Duration>>(
        interval: Duration,
        clock: C = ContinuousClock(),
        onReport: @escaping @Sendable (ReconcileReport) -> Void = { _ in }
    ) -> ReconcilerService<C> {
        ReconcilerService(reconciler: self, interval: interval, clock: clock, logger: controlPlane.logger, onReport: onReport)
    }

    private func scan(_ options: ReconcileOptions) async throws(ControlPlaneError) -> ReconcileReport {
        var report = ReconcileReport(ran: true)
        let cutoff = controlPlane.nowMilliseconds() - controlPlane.configuration.gcGracePeriod.milliseconds
        let backendIDs = try await dataPlane("listing the data plane's backends") { () throws(DataPlaneError) in
            try await inventory.inventoryBackendIDs()
        }
        for backendID in backendIDs {
            try await scanObjects(backendID: backendID, cutoff: cutoff, options: options, report: &report)
            try await scanOutboards(backendID: backendID, cutoff: cutoff, options: options, report: &report)
        }
        try await checkRows(options: options, report: &report)
        if report.strayCount > 0 || !report.isClean {
            controlPlane.logger.notice(
                "reconciliation found strays or damage",
                metadata: [
                    "strays": "\(report.strayCount)", "straysRemoved": "\(report.straysRemoved)",
                    "missing": "\(report.missingCount)", "corrupt": "\(report.corruptCount)",
                ]
            )
        }
        return report
    }

    /// Whether the listing dates `object` before `cutoff` (milliseconds). No date, or one in the
    /// future, is never past it.
    static func isPast(_ object: StoredObject, cutoff: Int64) -> Bool {
        guard let modified = object.modified else { return false }
        return Int64((modified.timeIntervalSince1970 * 1000).rounded(.down)) < cutoff
    }

    // MARK: Objects no row knows

    private func scanObjects(
        backendID: String,
        cutoff: Int64,
        options: ReconcileOptions,
        report: inout ReconcileReport
    )
        async throws(ControlPlaneError)
    {
        try await eachPage(.object, backendID: backendID, cutoff: cutoff, options: options, report: &report) {
            (page, report) throws(ControlPlaneError) in
            let rows = try await rows(of: page.map { $0.1.description })
            for (object, address, pastGrace) in page {
                let row = rows[address.description]
                let reason: StrayObject.Reason
                switch row {
                case nil: reason = .noRow
                case let row? where row.state == "deleted": reason = .collected
                case let row? where row.backendID != backendID: reason = .otherBackend
                default: continue  // live here, or being collected here
                }
                var removed = false
                if options.removesStrays, pastGrace, reason != .otherBackend {
                    removed = try await removeStray(address, backendID: backendID, rowState: row?.state, report: &report)
                }
                report.record(StrayObject(object: object, reason: reason, pastGrace: pastGrace, removed: removed), limit: options.listLimit)
            }
        }
    }

    /// The state and backend of each row among `addresses`.
    private func rows(of addresses: [String]) async throws(ControlPlaneError) -> [String: (state: String, backendID: String)] {
        guard !addresses.isEmpty else { return [:] }
        return try await controlPlane.query("reading the rows of listed objects") { db in
            var rows: [String: (state: String, backendID: String)] = [:]
            for row in try await db.raw("SELECT address, state, backend_id FROM blobs WHERE address IN (\(binds: addresses))").all() {
                rows[try row.string("address")] = (try row.string("state"), try row.string("backend_id"))
            }
            return rows
        }
    }

    // MARK: Outboards without their object

    private func scanOutboards(
        backendID: String,
        cutoff: Int64,
        options: ReconcileOptions,
        report: inout ReconcileReport
    )
        async throws(ControlPlaneError)
    {
        try await eachPage(.outboard, backendID: backendID, cutoff: cutoff, options: options, report: &report) {
            (page, report) throws(ControlPlaneError) in
            for (outboard, address, pastGrace) in page {
                let present = try await dataPlane("looking for the object of an outboard") { () throws(DataPlaneError) in
                    try await inventory.contains(address, backendID: backendID)
                }
                if present { continue }
                var removed = false
                if options.removesStrays, pastGrace {
                    removed = try await dataPlane("removing a stray outboard") { () throws(DataPlaneError) in
                        try await inventory.deleteOutboard(of: address, backendID: backendID)
                    }
                }
                report.record(
                    StrayObject(object: outboard, reason: .objectMissing, pastGrace: pastGrace, removed: removed),
                    limit: options.listLimit
                )
            }
        }
    }

    /// Lists every file of `kind` in `backendID` a page at a time, counts it, records a file
    /// whose name is no content address's as an `unrecognisedName` stray, and passes the others
    /// to `body` with their address and whether the listing dates them past `cutoff`.
    private func eachPage(
        _ kind: StoredObject.Kind,
        backendID: String,
        cutoff: Int64,
        options: ReconcileOptions,
        report: inout ReconcileReport,
        _ body: ([(StoredObject, ContentAddress, pastGrace: Bool)], inout ReconcileReport) async throws(ControlPlaneError) -> Void
    ) async throws(ControlPlaneError) {
        var cursor: String?
        repeat {
            let page = try await dataPlane("listing backend \"\(backendID)\"") { () throws(DataPlaneError) in
                try await inventory.storedObjects(kind, backendID: backendID, cursor: cursor, limit: max(1, options.pageSize))
            }
            if kind == .object { report.objectsListed += page.objects.count } else { report.outboardsListed += page.objects.count }
            var named: [(StoredObject, ContentAddress, pastGrace: Bool)] = []
            for object in page.objects {
                let pastGrace = Self.isPast(object, cutoff: cutoff)
                if let address = object.address {
                    named.append((object, address, pastGrace))
                } else {
                    report.record(
                        StrayObject(object: object, reason: .unrecognisedName, pastGrace: pastGrace, removed: false),
                        limit: options.listLimit
                    )
                }
            }
            try await body(named, &report)
            cursor = page.nextCursor
        } while cursor != nil
    }

    // MARK: Rows whose object is missing

    private func checkRows(options: ReconcileOptions, report: inout ReconcileReport) async throws(ControlPlaneError) {
        var after = ""
        let pageSize = max(1, options.pageSize)
        while true {
            let position = after
            let page = try await controlPlane.query("listing live blobs to reconcile") { db in
                try await db.raw(
                    """
                    SELECT address, backend_id, size FROM blobs WHERE state = 'live' AND address > \(bind: position)
                    ORDER BY address LIMIT \(literal: pageSize)
                    """
                ).all().map { (try $0.string("address"), try $0.string("backend_id"), try $0.int("size")) }
            }
            for (text, backendID, size) in page {
                report.blobsChecked += 1
                let address: ContentAddress
                do {
                    address = try Registry.address(text)
                } catch {
                    throw ControlPlaneError.wrapping(error, "reconciling")
                }
                guard var damage = try await check(address, backendID: backendID, verifying: options.verifiesBlobs) else {
                    if options.verifiesBlobs { report.blobsVerified += 1 }
                    continue
                }
                // A collection may have doomed the blob after it was listed (its row leaves
                // `live` before its bytes go): only a blob still live is damaged.
                guard try await isLive(address) else { continue }
                damage.size = UInt64(max(0, size))
                report.record(damage, limit: options.listLimit)
            }
            guard page.count == pageSize, let last = page.last else { return }
            after = last.0
        }
    }

    /// What is wrong with the object of a `live` row, or `nil` when nothing is.
    private func check(_ address: ContentAddress, backendID: String, verifying: Bool) async throws(ControlPlaneError) -> DamagedBlob? {
        func damaged(_ problem: DamagedBlob.Problem, _ detail: String) -> DamagedBlob {
            DamagedBlob(address: address, backendID: backendID, size: 0, problem: problem, detail: detail)
        }
        do {
            if verifying {
                let result = try await inventory.verify(address, backendID: backendID)
                return result.verified ? nil : damaged(.corrupt, result.mismatch ?? "its bytes do not hash to its address")
            }
            return try await inventory.contains(address, backendID: backendID)
                ? nil : damaged(.missing, "no object in backend \"\(backendID)\"")
        } catch  where error.kind == .objectNotFound || error.kind == .unknownBackend {
            return damaged(.missing, "\(error.code): \(error.message)")
        } catch  where verifying && (error.kind == .objectCorrupt || error.kind == .storage) {
            return damaged(.corrupt, "\(error.code): \(error.message)")
        } catch {
            throw ControlPlaneError.wrapping(error, "checking \(address) in backend \"\(backendID)\"")
        }
    }

    private func isLive(_ address: ContentAddress) async throws(ControlPlaneError) -> Bool {
        try await controlPlane.query("re-reading the state of a blob that failed its check") { db in
            try await db.raw("SELECT 1 AS live FROM blobs WHERE address = \(bind: address.description) AND state = 'live'").first() != nil
        }
    }

    // MARK: Shared

    /// Runs a data-plane call, its failure as a ``ControlPlaneError`` (`dataPlane`).
    func dataPlane<R>(_ doing: String, _ body: () async throws(DataPlaneError) -> R) async throws(ControlPlaneError) -> R {
        do {
            return try await body()
        } catch {
            throw ControlPlaneError.wrapping(error, doing)
        }
    }
}

extension ControlPlane {
    /// The reconciler, when the data plane can list what its backends hold: a data plane in
    /// process, or the data-plane daemon through its inventory operations; `nil` otherwise.
    public var reconciler: Reconciler? {
        (dataPlane as? any StoredObjectInventory).map { Reconciler(controlPlane: self, inventory: $0) }
    }
}
