package import ArtifactStoreAPI
package import SQLKit

/// The maintained usage of each namespace (`namespace_usage`) and the quota check on it.
///
/// Exists so usage is read from one row (the API, the CLI, `/metrics`) instead of summed over
/// every link and version file, and so the quota check cannot be passed by two pushes at once:
/// every change runs in the transaction that links, unlinks, commits or deletes, and a push's
/// change is one conditional `UPDATE` of the namespace's row, which refuses when the result
/// would exceed the quota. SQLite runs one writer at a time; on PostgreSQL two such updates of
/// one row in serializable transactions cannot both commit (the loser is retried, and then sees
/// the winner's usage). A test races pushes, deletes and a collection and compares the row with
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
    /// namespace caching what its upstream serves).
    package static func apply(_ change: Change, to namespace: String, in db: any SQLDatabase) async throws {
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

    /// Applies a push's `change` only if, with it, neither the bytes referenced plus
    /// `referencing` nor the bytes stored exceed the namespace's quota.
    ///
    /// A version commit references its files' bytes (`referencing` = their sum); a new link
    /// stores its blob and will be referenced by the version that names it (`referencing` = its
    /// size), so a blob that cannot fit is refused before any version names it.
    /// - Throws: `quotaExceeded` naming the namespace, its quota and its usage; nothing changed.
    package static func charge(
        _ change: Change,
        referencing: Int64,
        to namespace: String,
        pushing what: String,
        in db: any SQLDatabase
    ) async throws {
        for _ in 0..<2 {
            let updated = try await db.raw(
                """
                UPDATE namespace_usage SET objects = objects + \(bind: change.objects), files = files + \(bind: change.files),
                    bytes_referenced = bytes_referenced + \(bind: change.bytesReferenced),
                    bytes_stored = bytes_stored + \(bind: change.bytesStored)
                WHERE namespace = \(bind: namespace) AND NOT EXISTS (
                    SELECT 1 FROM namespaces n WHERE n.name = \(bind: namespace) AND n.quota_bytes IS NOT NULL
                    AND (namespace_usage.bytes_referenced + \(bind: referencing) > n.quota_bytes
                        OR namespace_usage.bytes_stored + \(bind: change.bytesStored) > n.quota_bytes))
                RETURNING objects
                """
            ).first()
            if updated != nil { return }
            guard let usage = try await read(namespace, in: db) else {
                // A namespace made without its row (never by this code): start it at zero, then check.
                try await create(namespace, in: db)
                continue
            }
            let quota = usage.quotaBytes.map(ByteSize.describe) ?? "none"
            throw ControlPlaneError(
                .quotaExceeded,
                "\(what) needs \(ByteSize.describe(max(referencing, change.bytesStored))) more in namespace \"\(namespace)\", which has "
                    + "a quota of \(quota) and uses \(ByteSize.describe(usage.bytesReferenced)) referenced, "
                    + "\(ByteSize.describe(usage.bytesStored)) stored; delete versions or ask an administrator to raise the quota"
            )
        }
        throw ControlPlaneError(.database, "the usage row of namespace \"\(namespace)\" could not be created")
    }

    static let columns = "u.namespace, u.objects, u.files, u.bytes_referenced, u.bytes_stored, n.quota_bytes"

    /// The counters and quota of `namespace`, or `nil` without a counter row.
    package static func read(_ namespace: String, in db: any SQLDatabase) async throws -> NamespaceUsage? {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM namespace_usage u JOIN namespaces n ON n.name = u.namespace
            WHERE u.namespace = \(bind: namespace)
            """
        ).first().map(usage(from:))
    }

    /// Every namespace's counters and quota, by name: one row per namespace, no scan of links or files.
    package static func readAll(in db: any SQLDatabase) async throws -> [NamespaceUsage] {
        try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM namespace_usage u JOIN namespaces n ON n.name = u.namespace ORDER BY u.namespace"
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
