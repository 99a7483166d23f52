import ArtifactMetadata
package import ArtifactStoreAPI
import Foundation
package import SQLKit

/// The maintained usage of each namespace and the quota check on it.
///
/// Exists so usage is read from one row per namespace (the API, the CLI, `/metrics`) instead of
/// summed over every link and version file, and so the quota check cannot be passed by two
/// pushes at once. Every change runs in the transaction that links, unlinks, commits or deletes.
///
/// A namespace's usage is its row in `namespace_usage` plus the changes not yet folded into it
/// (`namespace_usage_changes`). A change to a namespace without a quota is appended as a row of
/// its own, so pushes share no row and never conflict on one (one counter row every push
/// updated made a quarter of PostgreSQL's write transactions roll back under 16 pushers), under
/// a time-ordered key (``AuditPendingRecord/newID()``), so the pushes of one commit append to the
/// same index page rather than each writing a page of its own (a random key did);
/// ``fold(in:limit:)``, run every second by ``NamespaceUsageFoldService``, moves the appended
/// changes into the counter rows in one transaction, so no change is counted twice or lost. A
/// push into a namespace with a quota is instead one conditional `UPDATE` of the namespace's
/// row that counts the unfolded changes and refuses when the result would exceed the quota:
/// SQLite runs one writer at a time, and on PostgreSQL two such updates of one row in
/// serializable transactions cannot both commit (the loser is retried, and then sees the
/// winner's usage). A test races pushes, deletes and a collection and compares the usage with
/// ``recount(_:in:)``.
package enum NamespaceUsageCounter {
    /// A change to a namespace's counters; each field may be negative.
    package struct Change: Sendable {
        var objects: Int64 = 0
        var files: Int64 = 0
        var bytesReferenced: Int64 = 0
        var bytesStored: Int64 = 0

        package static func link(size: Int64) -> Change { Change(objects: 1, bytesStored: size) }
        package static func files(_ count: Int64, bytes: Int64) -> Change { Change(files: count, bytesReferenced: bytes) }

        package var negated: Change {
            Change(objects: -objects, files: -files, bytesReferenced: -bytesReferenced, bytesStored: -bytesStored)
        }
    }

    /// The zero row of a namespace just created (nothing if it has one).
    package static func create(_ namespace: String, in db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO namespace_usage (namespace, objects, files, bytes_referenced, bytes_stored)
            VALUES (\(bind: namespace), 0, 0, 0, 0) ON CONFLICT (namespace) DO NOTHING
            """
        ).run()
    }

    /// Applies `change` whatever the quota: removals, and additions that are not pushes (a proxy
    /// namespace caching what its upstream serves). Appended, never an update of a shared row.
    package static func apply(_ change: Change, to namespace: String, in db: any SQLDatabase) async throws {
        guard change.objects != 0 || change.files != 0 || change.bytesReferenced != 0 || change.bytesStored != 0 else { return }
        try await db.raw(
            """
            INSERT INTO namespace_usage_changes (id, namespace, objects, files, bytes_referenced, bytes_stored)
            VALUES (\(bind: AuditPendingRecord.newID()), \(bind: namespace), \(bind: change.objects), \(bind: change.files),
                \(bind: change.bytesReferenced), \(bind: change.bytesStored))
            """
        ).run()
    }

    /// Applies a push's `change` only if, with it, neither the bytes referenced plus
    /// `referencing` nor the bytes stored exceed the namespace's quota, which this reads in the
    /// transaction `db`.
    ///
    /// A version commit references its files' bytes (`referencing` = their sum); a new link
    /// stores its blob and will be referenced by the version that names it (`referencing` = its
    /// size), so a blob that cannot fit is refused before any version names it. Without a quota
    /// the change is appended (``apply(_:to:in:)``): in one statement, which appends it only if
    /// the namespace's row says it has no quota (a push's usual case); only otherwise is the
    /// quota read and checked (``charge(_:referencing:to:pushing:quotaBytes:in:)``).
    /// - Throws: `quotaExceeded` naming the namespace, its quota and its usage; nothing changed.
    package static func charge(
        _ change: Change,
        referencing: Int64,
        to namespace: String,
        pushing what: String,
        in db: any SQLDatabase
    ) async throws {
        let appended = try await db.changes(
            appendWithoutQuota,
            binding: [
                .text(AuditPendingRecord.newID()), .integer(change.objects), .integer(change.files), .integer(change.bytesReferenced),
                .integer(change.bytesStored), .text(namespace),
            ]
        )
        if appended > 0 { return }
        let quotaRow = try await db.raw("SELECT quota_bytes FROM namespaces WHERE name = \(bind: namespace)").first()
        let quota = try quotaRow.flatMap { row in try row.decodeNil(column: "quota_bytes") ? nil : try row.int("quota_bytes") }
        try await charge(change, referencing: referencing, to: namespace, pushing: what, quotaBytes: quota, in: db)
    }

    /// A change appended to a namespace that has no quota; nothing for one that has.
    static let appendWithoutQuota = PreparedWrite(
        """
        INSERT INTO namespace_usage_changes (id, namespace, objects, files, bytes_referenced, bytes_stored)
        SELECT ?, name, ?, ?, ?, ? FROM namespaces WHERE name = ? AND quota_bytes IS NULL
        """
    )

    /// ``charge(_:referencing:to:pushing:in:)`` for a caller that has read the namespace's quota
    /// (`quotaBytes`, `nil` for none) in this same transaction `db`, so it is not read again.
    package static func charge(
        _ change: Change,
        referencing: Int64,
        to namespace: String,
        pushing what: String,
        quotaBytes: Int64?,
        in db: any SQLDatabase
    ) async throws {
        guard let quota = quotaBytes else {
            try await apply(change, to: namespace, in: db)
            return
        }
        for _ in 0..<2 {
            let updated = try await db.raw(
                """
                UPDATE namespace_usage SET objects = objects + \(bind: change.objects), files = files + \(bind: change.files),
                    bytes_referenced = bytes_referenced + \(bind: change.bytesReferenced),
                    bytes_stored = bytes_stored + \(bind: change.bytesStored)
                WHERE namespace = \(bind: namespace)
                    AND bytes_referenced + (SELECT CAST(COALESCE(SUM(c.bytes_referenced), 0) AS BIGINT) FROM namespace_usage_changes c
                        WHERE c.namespace = \(bind: namespace)) + \(bind: referencing) <= \(bind: quota)
                    AND bytes_stored + (SELECT CAST(COALESCE(SUM(c.bytes_stored), 0) AS BIGINT) FROM namespace_usage_changes c
                        WHERE c.namespace = \(bind: namespace)) + \(bind: change.bytesStored) <= \(bind: quota)
                RETURNING objects
                """
            ).first()
            if updated != nil { return }
            guard let usage = try await read(namespace, in: db) else {
                // A namespace made without its row (never by this code): start it at zero, then check.
                try await create(namespace, in: db)
                continue
            }
            throw ControlPlaneError(
                .quotaExceeded,
                "\(what) needs \(ByteSize.describe(max(referencing, change.bytesStored))) more in namespace \"\(namespace)\", which has "
                    + "a quota of \(ByteSize.describe(quota)) and uses \(ByteSize.describe(usage.bytesReferenced)) referenced, "
                    + "\(ByteSize.describe(usage.bytesStored)) stored; delete versions or ask an administrator to raise the quota"
            )
        }
        throw ControlPlaneError(.database, "the usage row of namespace \"\(namespace)\" could not be created")
    }

    /// Moves up to `limit` appended changes into the counter rows, in the caller's transaction;
    /// returns how many it moved. Two folds at once cannot both move a change: each deletes the
    /// rows it adds, and the second to commit is refused (and retried) on PostgreSQL.
    package static func fold(in db: any SQLDatabase, limit: Int = 1000) async throws -> Int {
        let moved = try await db.raw(
            """
            DELETE FROM namespace_usage_changes WHERE id IN (SELECT id FROM namespace_usage_changes LIMIT \(bind: limit))
            RETURNING namespace, objects, files, bytes_referenced, bytes_stored
            """
        ).all()
        var sums: [String: Change] = [:]
        for row in moved {
            var sum = sums[try row.string("namespace"), default: Change()]
            sum.objects += try row.int("objects")
            sum.files += try row.int("files")
            sum.bytesReferenced += try row.int("bytes_referenced")
            sum.bytesStored += try row.int("bytes_stored")
            sums[try row.string("namespace")] = sum
        }
        for (namespace, change) in sums.sorted(by: { $0.key < $1.key }) {
            try await db.raw(
                """
                INSERT INTO namespace_usage (namespace, objects, files, bytes_referenced, bytes_stored)
                VALUES (\(bind: namespace), \(bind: change.objects), \(bind: change.files), \(bind: change.bytesReferenced),
                    \(bind: change.bytesStored))
                ON CONFLICT (namespace) DO UPDATE SET objects = namespace_usage.objects + excluded.objects,
                    files = namespace_usage.files + excluded.files,
                    bytes_referenced = namespace_usage.bytes_referenced + excluded.bytes_referenced,
                    bytes_stored = namespace_usage.bytes_stored + excluded.bytes_stored
                """
            ).run()
        }
        return moved.count
    }

    /// The counters with the unfolded changes added, and the quota.
    static let columns = """
        u.namespace, u.objects + COALESCE(p.objects, 0) AS objects, u.files + COALESCE(p.files, 0) AS files,
        u.bytes_referenced + COALESCE(p.bytes_referenced, 0) AS bytes_referenced,
        u.bytes_stored + COALESCE(p.bytes_stored, 0) AS bytes_stored, n.quota_bytes
        """

    /// The unfolded changes summed per namespace, for a `LEFT JOIN ... p`.
    static let pendingSums = """
        SELECT namespace, CAST(SUM(objects) AS BIGINT) AS objects, CAST(SUM(files) AS BIGINT) AS files,
            CAST(SUM(bytes_referenced) AS BIGINT) AS bytes_referenced, CAST(SUM(bytes_stored) AS BIGINT) AS bytes_stored
        FROM namespace_usage_changes
        """

    /// The counters and quota of `namespace`, or `nil` without a counter row.
    package static func read(_ namespace: String, in db: any SQLDatabase) async throws -> NamespaceUsage? {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM namespace_usage u JOIN namespaces n ON n.name = u.namespace
            LEFT JOIN (\(unsafeRaw: pendingSums) WHERE namespace = \(bind: namespace) GROUP BY namespace) p ON p.namespace = u.namespace
            WHERE u.namespace = \(bind: namespace)
            """
        ).first().map(usage(from:))
    }

    /// Every namespace's counters and quota, by name: one row per namespace, no scan of links or files.
    package static func readAll(in db: any SQLDatabase) async throws -> [NamespaceUsage] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM namespace_usage u JOIN namespaces n ON n.name = u.namespace
            LEFT JOIN (\(unsafeRaw: pendingSums) GROUP BY namespace) p ON p.namespace = u.namespace
            ORDER BY u.namespace
            """
        ).all().map(usage(from:))
    }

    static func usage(from row: any SQLRow) throws -> NamespaceUsage {
        NamespaceUsage(
            namespace: try row.string("namespace"),
            objects: try row.int("objects"),
            files: try row.int("files"),
            bytesReferenced: try row.int("bytes_referenced"),
            bytesStored: try row.int("bytes_stored"),
            quotaBytes: try row.decodeNil(column: "quota_bytes") ? nil : try row.int("quota_bytes")
        )
    }
}
