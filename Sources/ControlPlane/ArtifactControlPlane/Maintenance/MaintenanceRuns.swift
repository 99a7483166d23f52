public import ArtifactMetadata
public import ArtifactStoreAPI
import Foundation
import Logging
import SQLKit

/// The last finished runs of garbage collection and retention, kept in the database
/// (`maintenance_runs`) so every node and the web UI see them.
///
/// Exists because a run's report otherwise lives only in one node's log and metrics. It
/// promises: only the newest ``kept`` runs of each kind are kept; recording never fails the run
/// it describes (a failure to record is logged); a GC that found another node holding the lock
/// (`ran == false`) and a dry run are not runs.
public struct MaintenanceRuns: Sendable {
    let controlPlane: ControlPlane

    /// Runs kept per kind.
    public static let kept = 50

    /// Records a finished run of `kind` that started at `startedAt` (milliseconds since 1970).
    public func record(_ kind: MaintenanceRun.Kind, startedAt: Int64, summary: [String: Int64]) async {
        let finishedAt = controlPlane.nowMilliseconds()
        let id = Self.id(finishedAt: finishedAt)
        let text = Self.encode(summary)
        do {
            try await controlPlane.mutate("recording a \(kind.rawValue) run", priority: .background) { db in
                try await db.raw(
                    """
                    INSERT INTO maintenance_runs (id, kind, started_at, finished_at, summary)
                    VALUES (\(bind: id), \(bind: kind.rawValue), \(bind: startedAt), \(bind: finishedAt), \(bind: text))
                    """
                ).run()
                let cut = try await db.raw(
                    """
                    SELECT id FROM maintenance_runs WHERE kind = \(bind: kind.rawValue)
                    ORDER BY id DESC LIMIT 1 OFFSET \(literal: Self.kept - 1)
                    """
                ).first()
                if let oldest = try cut?.string("id") {
                    try await db.raw("DELETE FROM maintenance_runs WHERE kind = \(bind: kind.rawValue) AND id < \(bind: oldest)").run()
                }
            }
        } catch {
            controlPlane.logger.warning("a finished \(kind.rawValue) run could not be recorded", metadata: ["error": "\(error)"])
        }
    }

    /// Records a finished garbage collection.
    func record(_ report: GarbageCollectionReport, startedAt: Int64) async {
        await record(.garbageCollection, startedAt: startedAt, summary: report.runSummary)
    }

    /// Records a finished run of the retention service (every namespace with policies).
    func record(_ reports: [RetentionReport], startedAt: Int64) async {
        await record(.retention, startedAt: startedAt, summary: reports.runSummary)
    }

    /// The runs, newest first, of `kind` or of every kind.
    public func list(kind: MaintenanceRun.Kind? = nil, page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<MaintenanceRun>
    {
        let before = try page.validated(arity: 1)?[0]
        let limit = page.limit
        let fetched = try await controlPlane.query("listing maintenance runs") { db in
            let columns: SQLQueryString = "SELECT id, kind, started_at, finished_at, summary FROM maintenance_runs"
            let order: SQLQueryString = "ORDER BY id DESC LIMIT \(literal: limit + 1)"
            let query: SQLQueryString =
                switch (kind?.rawValue, before) {
                case (nil, nil): "\(columns) \(order)"
                case (nil, let before?): "\(columns) WHERE id < \(bind: before) \(order)"
                case (let kind?, nil): "\(columns) WHERE kind = \(bind: kind) \(order)"
                case (let kind?, let before?): "\(columns) WHERE kind = \(bind: kind) AND id < \(bind: before) \(order)"
                }
            return try await db.raw(query).all().map(Self.run(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.id] }
    }

    static func id(finishedAt: Int64) -> String {
        let time = String(finishedAt)
        let random = String(UInt32.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: max(0, 13 - time.count)) + time + "-" + String(repeating: "0", count: 8 - random.count)
            + random
    }

    static func encode(_ summary: [String: Int64]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func run(from row: any SQLRow) throws -> MaintenanceRun {
        let text = try row.string("summary")
        guard let kind = MaintenanceRun.Kind(rawValue: try row.string("kind")),
            let summary = try? JSONDecoder().decode([String: Int64].self, from: Data(text.utf8))
        else {
            throw ControlPlaneError(.database, "stored maintenance run \(try row.string("id")) does not parse")
        }
        return MaintenanceRun(
            id: try row.string("id"),
            kind: kind,
            startedAt: Date(milliseconds: try row.int("started_at")),
            finishedAt: Date(milliseconds: try row.int("finished_at")),
            summary: summary
        )
    }
}

extension ControlPlane {
    /// The last runs of garbage collection and retention.
    public var maintenanceRuns: MaintenanceRuns { MaintenanceRuns(controlPlane: self) }
}

extension GarbageCollectionReport {
    /// The counts a recorded run keeps.
    var runSummary: [String: Int64] {
        [
            "linksExpired": Int64(linksExpired), "blobsMarked": Int64(blobsMarked), "blobsDeleted": Int64(blobsDeleted),
            "bytesDeleted": Int64(clamping: bytesDeleted), "deletionsFailed": Int64(deletionsFailed),
        ]
    }
}

extension [RetentionReport] {
    /// The counts a recorded retention run keeps, over every namespace it applied.
    var runSummary: [String: Int64] {
        [
            "namespaces": Int64(count), "versionsExamined": Int64(reduce(0) { $0 + $1.versionsExamined }),
            "deleted": Int64(reduce(0) { $0 + $1.deletions.count }), "blocked": Int64(reduce(0) { $0 + $1.blocked.count }),
        ]
    }
}
