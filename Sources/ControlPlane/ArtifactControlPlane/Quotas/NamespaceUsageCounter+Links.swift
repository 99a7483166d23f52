import ArtifactMetadata
import SQLKit

extension NamespaceUsageCounter {
    /// Links the blob `address` (whose row is live in this transaction) into `namespace` at
    /// `now`, or moves an existing link's time to `now`. A new link is charged to the namespace:
    /// one object and the blob's size (`size`, what the caller just recorded in the blob's row,
    /// or else read from it), refused with `quotaExceeded` beyond the quota (the transaction
    /// then rolls back, link and all).
    ///
    /// The link's insert is the test of whether it is new (one statement, not a read before
    /// the write): a link that exists is only refreshed, and charged nothing.
    static func link(_ address: String, size: Int64?, into namespace: String, at now: Int64, in db: any SQLDatabase) async throws {
        let inserted = try await db.changes(insertLink, binding: [.text(namespace), .text(address), .integer(now)])
        guard inserted > 0 else {
            try await db.raw(
                "UPDATE links SET linked_at = \(bind: now) WHERE namespace = \(bind: namespace) AND address = \(bind: address)"
            ).run()
            return
        }
        let bytes: Int64
        if let size {
            bytes = size
        } else {
            guard let blob = try await db.raw("SELECT size FROM blobs WHERE address = \(bind: address)").first() else {
                throw ControlPlaneError(.database, "blob \(address) has no row while it is linked into \"\(namespace)\"")
            }
            bytes = try blob.int("size")
        }
        try await charge(.link(size: bytes), referencing: bytes, to: namespace, pushing: "blob \(address)", in: db)
    }

    /// A new link, or nothing when the namespace links the address already.
    static let insertLink = PreparedWrite(
        "INSERT INTO links (namespace, address, linked_at) VALUES (?, ?, ?) ON CONFLICT (namespace, address) DO NOTHING"
    )

    /// Takes the links of `addresses` out of `namespace`'s usage, before the collector deletes them.
    static func uncharge(links addresses: [String], of namespace: String, in db: any SQLDatabase) async throws {
        guard
            let row = try await db.raw(
                """
                SELECT COUNT(*) AS objects, CAST(COALESCE(SUM(b.size), 0) AS BIGINT) AS bytes
                FROM links l JOIN blobs b ON b.address = l.address
                WHERE l.namespace = \(bind: namespace) AND l.address IN (\(binds: addresses))
                """
            ).first()
        else { return }
        try await apply(Change(objects: try row.int("objects"), bytesStored: try row.int("bytes")).negated, to: namespace, in: db)
    }
}
