public import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreAPI
import SQLKit

/// Blob lookups whose cost does not grow with the namespace: every statement here reaches a blob
/// through an index on the digest asked (`blobs` primary key, `blobs_by_sha256`) and then the
/// link by its address (`links` primary key or `links_by_address`). None reads the namespace's
/// links as a range. `CROSS JOIN` fixes the join order on SQLite (which otherwise may start from
/// the namespace's links); PostgreSQL treats it as an ordinary inner join and plans it by cost.
/// `LookupPlanTests` checks the plans on both engines.
extension Registry {
    /// Most digests or addresses one batched statement names (well under both engines' limits on
    /// bound parameters).
    static let lookupBatch = 500

    /// The blob columns every lookup here returns, prefixed `b.`.
    static let blobColumns = "b.address, b.backend_id, b.size, b.sha256, b.blake3"

    /// The live blobs linked into `namespace` whose SHA-256 is `sha256` (text `sha256:<hex>`):
    /// ``visibleBlob(digest:namespace:in:)``'s statement. At most two rows (the blob stored
    /// under the SHA-256 as its address, and the one under its BLAKE3 address); the caller
    /// prefers the first. No `ORDER BY`: on SQLite a sort, even of two rows, opens a temporary
    /// b-tree, which cost a cold GET about a fiftieth of its instructions (callgrind).
    static func visibleBlobQuery(sha256: String, namespace: String) -> SQLQueryString {
        blobBySHA256.queryString(binding: [.text(sha256), .text(namespace)])
    }

    /// Binds the SHA-256 text, then the namespace. See ``visibleBlobQuery(sha256:namespace:)``.
    static let blobBySHA256 = PreparedRead(
        """
        SELECT \(blobColumns) FROM blobs b CROSS JOIN links l
        WHERE b.sha256 = ? AND b.state = 'live' AND l.namespace = ? AND l.address = b.address
        """,
        columns: preparedBlobColumns
    )

    /// The live blob at an address, if linked into a namespace: binds the namespace, then the
    /// address text.
    static let blobByAddress = PreparedRead(
        """
        SELECT \(blobColumns) FROM links l JOIN blobs b ON b.address = l.address
        WHERE l.namespace = ? AND l.address = ? AND b.state = 'live'
        """,
        columns: preparedBlobColumns
    )

    /// The reads of an uncached blob lookup, of a file download's lookup and of a tag's version,
    /// prepared when the control plane opens (``MetadataStore/prepare(_:)``).
    static let preparedReads = [blobBySHA256, blobByAddress, fileByPath, versionOfTag]

    /// ``blobColumns`` as a ``PreparedRead`` reads them.
    static let preparedBlobColumns: [PreparedRead.Column] = [
        .text("address"), .text("backend_id"), .integer("size"), .text("sha256"), .text("blake3"),
    ]

    /// A fact from a row of ``blobByAddress`` or ``blobBySHA256``; `known` is the digest the
    /// statement was bound to and its text (the row's address or SHA-256, which the `WHERE` made
    /// equal to it).
    ///
    /// A column whose text is `known`'s, or the address's, is not parsed again: parsing the hex
    /// of three digests was a tenth of what decoding the row of a cold GET cost (callgrind).
    static func blobFact(
        from row: PreparedRow,
        namespace: String,
        known: (text: String, digest: Digest)? = nil
    ) throws -> BlobFactCache.Fact {
        guard let addressText = row.text(0), let backendID = row.text(1), let size = row.integer(2), size >= 0,
            let sha256Text = row.text(3), let blake3Text = row.text(4)
        else {
            throw ControlPlaneError(.database, "a blob row of namespace \"\(namespace)\" has a missing or mistyped column")
        }
        func parsed(_ text: String, or other: (text: String, digest: Digest)?) throws -> Digest {
            if let known, text == known.text { return known.digest }
            if let other, text == other.text { return other.digest }
            return try digest(text)
        }
        let address = try parsed(addressText, or: nil)
        let blob = LinkedBlob(
            namespace: namespace,
            address: ContentAddress(address),
            size: UInt64(size),
            sha256: try parsed(sha256Text, or: (addressText, address)),
            blake3: try parsed(blake3Text, or: (addressText, address)),
            deduplicated: false
        )
        return BlobFactCache.Fact(blob: blob, backendID: backendID)
    }

    /// The fact of the blob `namespace` sees under `digest`, by one prepared statement (see
    /// ``PreparedRead``), or `nil`: by address when `byAddress` or for a BLAKE3 digest; for a
    /// SHA-256 one, the blob stored under the SHA-256 as its address first, as
    /// ``visibleBlob(digest:namespace:in:)``.
    func preparedBlobFact(digest: Digest, namespace: String, byAddress: Bool) async throws -> BlobFactCache.Fact? {
        let text = digest.description
        let rows: [PreparedRow]
        if digest.algorithm == .sha256, !byAddress {
            rows = try await controlPlane.store.rows(of: Self.blobBySHA256, binding: [.text(text), .text(namespace)])
            guard let row = rows.first(where: { $0.text(0) == text }) ?? rows.first else { return nil }
            return try Self.blobFact(from: row, namespace: namespace, known: (text, digest))
        }
        rows = try await controlPlane.store.rows(of: Self.blobByAddress, binding: [.text(namespace), .text(text)])
        return try rows.first.map { try Self.blobFact(from: $0, namespace: namespace, known: (text, digest)) }
    }

    /// The live blobs whose SHA-256 is one of `sha256s` (at most ``lookupBatch``), whatever
    /// namespace they are linked into: step one of a batch by SHA-256, step two being
    /// ``linkedQuery(addresses:namespace:)``. Two statements rather than a join, because
    /// PostgreSQL would hash-join a batch this size against every link of a large namespace.
    static func liveBlobsQuery(sha256s: some Collection<String>) -> SQLQueryString {
        "SELECT \(unsafeRaw: blobColumns) FROM blobs b WHERE b.sha256 IN (\(binds: Array(sha256s))) AND b.state = 'live'"
    }

    /// Which of `addresses` (at most ``lookupBatch``) are linked into `namespace`.
    static func linkedQuery(addresses: some Collection<String>, namespace: String) -> SQLQueryString {
        "SELECT l.address FROM links l WHERE l.namespace = \(bind: namespace) AND l.address IN (\(binds: Array(addresses)))"
    }

    /// The live blobs linked into `namespace` at one of `addresses` (at most ``lookupBatch``).
    static func visibleBlobsQuery(addresses: some Collection<String>, namespace: String) -> SQLQueryString {
        """
        SELECT \(unsafeRaw: blobColumns) FROM links l CROSS JOIN blobs b
        WHERE l.namespace = \(bind: namespace) AND l.address IN (\(binds: Array(addresses))) AND b.address = l.address AND b.state = 'live'
        """
    }

    /// The blobs linked into `namespace` and live, by address, for `addresses`, in batches
    /// of ``lookupBatch``: one statement per batch whatever the namespace holds. Each row is
    /// decoded as it arrives and only what `keep` takes of it is kept, so a manifest of 10,000
    /// layers keeps 10,000 small values (sizes, for a commit), not 10,000 database rows.
    static func visibleBlobs<Kept>(
        _ addresses: some Sequence<ContentAddress>,
        namespace: String,
        in db: any SQLDatabase,
        keeping keep: (LinkedBlob) -> Kept
    ) async throws -> [ContentAddress: Kept] {
        var found: [ContentAddress: Kept] = [:]
        let texts = Array(Set(addresses.map(\.description))).sorted()
        for start in stride(from: 0, to: texts.count, by: lookupBatch) {
            let batch = texts[start..<min(start + lookupBatch, texts.count)]
            for row in try await db.raw(visibleBlobsQuery(addresses: batch, namespace: namespace)).all() {
                let blob = try linkedBlob(from: row, namespace: namespace)
                found[blob.address] = keep(blob)
            }
        }
        return found
    }

    /// The blobs `namespace` sees under each of `digests` (as ``blob(namespace:digest:)`` would
    /// find them), read in batches of ``lookupBatch`` digests per statement inside one read:
    /// what checking every reference of a large manifest costs per reference does not depend on
    /// how many blobs the namespace holds. Digests it does not see are absent from the result.
    /// Not cached (a manifest's references are read once).
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`.
    public func blobs(namespace: String, digests: [Digest]) async throws(ControlPlaneError) -> [Digest: LinkedBlob] {
        try NameGrammar.validateNamespace(namespace)
        let sha256s = Array(Set(digests.filter { $0.algorithm == .sha256 }.map(\.description))).sorted()
        let addresses = Set(digests.filter { $0.algorithm != .sha256 }.map(ContentAddress.init))
        return try await controlPlane.query("reading \(digests.count) blobs of namespace \"\(namespace)\"") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            var found: [Digest: LinkedBlob] = [:]
            for (address, blob) in try await Self.visibleBlobs(addresses, namespace: namespace, in: db, keeping: { $0 }) {
                found[address.digest] = blob
            }
            for start in stride(from: 0, to: sha256s.count, by: Self.lookupBatch) {
                let batch = sha256s[start..<min(start + Self.lookupBatch, sha256s.count)]
                let rows = try await db.raw(Self.liveBlobsQuery(sha256s: batch)).all()
                guard !rows.isEmpty else { continue }
                let linked = Set(
                    try await db.raw(Self.linkedQuery(addresses: try rows.map { try $0.string("address") }, namespace: namespace)).all()
                        .map { try $0.string("address") }
                )
                for row in rows where linked.contains(try row.string("address")) {
                    let blob = try Self.linkedBlob(from: row, namespace: namespace)
                    // The blob stored under the SHA-256 itself wins, as in the single lookup.
                    if found[blob.sha256] == nil || blob.address.digest == blob.sha256 { found[blob.sha256] = blob }
                }
            }
            return found
        }
    }
}
