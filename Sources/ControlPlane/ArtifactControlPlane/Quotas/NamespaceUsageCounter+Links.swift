import SQLKit

extension NamespaceUsageCounter {
    /// Charges a link of blob `address` (whose row is live in this transaction) into
    /// `namespace`, before the link is written: nothing when the namespace already links it,
    /// else one object and the blob's size, refused with `quotaExceeded` beyond the quota.
    static func chargeLink(_ address: String, into namespace: String, in db: any SQLDatabase) async throws {
        guard
            try await db.raw("SELECT 1 AS linked FROM links WHERE namespace = \(bind: namespace) AND address = \(bind: address)").first()
                == nil
        else { return }
        guard let blob = try await db.raw("SELECT size FROM blobs WHERE address = \(bind: address)").first() else {
            throw ControlPlaneError(.database, "blob \(address) has no row while it is linked into \"\(namespace)\"")
        }
        let size = try blob.int("size")
        try await charge(.link(size: size), referencing: size, to: namespace, pushing: "blob \(address)", in: db)
    }

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
