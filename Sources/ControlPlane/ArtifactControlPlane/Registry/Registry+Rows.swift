package import ArtifactIdentity
import ArtifactMetadata
package import ArtifactStoreAPI
import Foundation
package import SQLKit

/// The registry's reads and checks inside a transaction, shared by its operations and by retention.
extension Registry {
    static let namespaceColumns = "name, immutable_tags, public_read, download_redirects, quota_bytes, created_by, created_at"
    static let versionColumns = "namespace, artifact, version, creator, created_at, labels, file_count, total_size"

    package static func namespace(_ name: String, in db: any SQLDatabase) async throws -> Namespace? {
        try await db.raw("SELECT \(unsafeRaw: namespaceColumns) FROM namespaces WHERE name = \(bind: name)")
            .first().map(namespace(from:))
    }

    package static func requireNamespace(_ name: String, in db: any SQLDatabase) async throws -> Namespace {
        guard let found = try await namespace(name, in: db) else {
            throw ControlPlaneError(.namespaceNotFound, "namespace \"\(name)\" does not exist")
        }
        return found
    }

    package static func requireArtifact(_ namespace: String, _ artifact: String, in db: any SQLDatabase) async throws {
        guard
            try await db.raw("SELECT name FROM artifacts WHERE namespace = \(bind: namespace) AND name = \(bind: artifact)").first() != nil
        else {
            throw ControlPlaneError(.artifactNotFound, "artifact \(namespace)/\(artifact) does not exist")
        }
    }

    static func requireVersion(
        _ namespace: String,
        _ artifact: String,
        _ version: String,
        in db: any SQLDatabase
    ) async throws -> VersionSummary {
        guard
            let row = try await db.raw(
                "SELECT \(unsafeRaw: versionColumns) FROM versions WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
            ).first()
        else {
            throw ControlPlaneError(.versionNotFound, "version \(namespace)/\(artifact)@\(version) does not exist")
        }
        return try versionSummary(from: row)
    }

    static func tag(_ namespace: String, _ artifact: String, _ tag: String, in db: any SQLDatabase) async throws -> Tag? {
        try await db.raw(
            "SELECT namespace, artifact, tag, version, updated_by, updated_at FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND tag = \(bind: tag)"
        ).first().map(tag(from:))
    }

    /// Links the live blob `address` into `namespace` in transaction `db` (or refreshes the link)
    /// and clears its "unreferenced since" mark, for callers that already know the blob is live
    /// and held (a mount, a finished upload's only chunk): no bytes move.
    /// A new link is charged to the namespace's usage and refused (`quotaExceeded`) beyond its quota.
    package static func insertLink(_ address: ContentAddress, into namespace: String, at now: Int64, in db: any SQLDatabase) async throws {
        try await NamespaceUsageCounter.link(address.description, size: nil, into: namespace, at: now, in: db)
        try await db.raw("UPDATE blobs SET unreferenced_since = NULL WHERE address = \(bind: address.description)").run()
    }

    /// The blob row of `address` if it is linked into `namespace` and live; `nil` otherwise
    /// (never stored, stored only elsewhere, or collected: all look the same).
    package static func visibleBlob(_ address: ContentAddress, namespace: String, in db: any SQLDatabase) async throws -> (any SQLRow)? {
        try await db.raw(blobByAddress.queryString(binding: [.text(namespace), .text(address.description)])).first()
    }

    /// The blob row `namespace` sees under `digest`, in one statement: by address for a BLAKE3
    /// digest; for a SHA-256 one, the live linked blob with that SHA-256, the one stored under it
    /// as its address first (as ``visibleBlob(_:namespace:in:)`` would find it). `nil` otherwise.
    /// Found through `blobs_by_sha256`, never by reading the namespace's links (Registry+BlobLookup.swift).
    static func visibleBlob(digest: Digest, namespace: String, in db: any SQLDatabase) async throws -> (any SQLRow)? {
        guard digest.algorithm == .sha256 else { return try await visibleBlob(ContentAddress(digest), namespace: namespace, in: db) }
        let sha256 = digest.description
        let rows = try await db.raw(visibleBlobQuery(sha256: sha256, namespace: namespace)).all()
        return try rows.first { try $0.decode(column: "address", as: String.self) == sha256 } ?? rows.first
    }

    /// Deletes a version after the checks every deletion obeys (holds, immutable tags), with its
    /// tags, and audits it. Used by users' deletes and by retention.
    package static func deleteVersion(
        _ namespace: String,
        _ artifact: String,
        _ version: String,
        reason: String?,
        context: RequestContext,
        at now: Int64,
        in db: any SQLDatabase
    ) async throws {
        let ns = try await requireNamespace(namespace, in: db)
        let deleted = try await requireVersion(namespace, artifact, version, in: db)
        if let hold = try await db.raw(
            "SELECT reason FROM holds WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
        ).first() {
            throw ControlPlaneError(
                .versionHeld,
                "version \(namespace)/\(artifact)@\(version) is under a legal hold (\(try hold.string("reason"))); release it first"
            )
        }
        let tags = try await db.raw(
            "SELECT tag FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version) ORDER BY tag"
        ).all().map { try $0.string("tag") }
        if ns.immutableTags, !tags.isEmpty {
            throw ControlPlaneError(
                .immutableTag,
                "version \(namespace)/\(artifact)@\(version) is tagged (\(tags.joined(separator: ", "))) and namespace \"\(namespace)\" has immutable tags"
            )
        }
        let digests = try await db.raw(
            "SELECT DISTINCT address FROM version_files WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version) ORDER BY address"
        ).all().map { try $0.string("address") }
        try await db.raw(
            "DELETE FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
        ).run()
        try await db.raw(
            "DELETE FROM version_files WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
        ).run()
        try await db.raw(
            "DELETE FROM versions WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
        ).run()
        try await NamespaceUsageCounter.apply(
            NamespaceUsageCounter.Change.files(Int64(deleted.fileCount), bytes: Int64(deleted.totalSize)).negated,
            to: namespace,
            in: db
        )
        var detail: [String] = []
        if let reason { detail.append(reason) }
        if !tags.isEmpty { detail.append("removed tags: \(tags.joined(separator: ", "))") }
        try await AuditLog.append(
            AuditEvent(
                action: "version.delete",
                namespace: namespace,
                target: "\(namespace)/\(artifact)@\(version)",
                digests: digests,
                detail: detail.isEmpty ? nil : detail.joined(separator: "; ")
            ),
            context: context,
            at: now,
            in: db
        )
    }

    // MARK: Validation

    package static func validate(namespace: String, artifact: String, version: String) throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        try NameGrammar.validateVersion(version)
    }

    package static func validate(_ manifest: VersionManifest) throws(ControlPlaneError) {
        try validate(namespace: manifest.namespace, artifact: manifest.artifact, version: manifest.version)
        guard !manifest.files.isEmpty else {
            throw ControlPlaneError(
                .invalidManifest,
                "manifest of \(manifest.namespace)/\(manifest.artifact)@\(manifest.version) has no files"
            )
        }
        guard manifest.files.count <= maximumFiles else {
            throw ControlPlaneError(.invalidManifest, "manifest has \(manifest.files.count) files; at most \(maximumFiles) are allowed")
        }
        var paths: Set<String> = []
        for file in manifest.files {
            try NameGrammar.validatePath(file.path)
            try NameGrammar.validateMediaType(file.mediaType)
            guard paths.insert(file.path).inserted else {
                throw ControlPlaneError(.invalidManifest, "manifest names file \"\(file.path)\" twice")
            }
        }
        for (key, value) in manifest.labels {
            try NameGrammar.validateLabel(key: key, value: value)
        }
    }

    // MARK: Rows to values

    static func namespace(from row: any SQLRow) throws -> Namespace {
        Namespace(
            name: try row.string("name"),
            immutableTags: try row.int("immutable_tags") != 0,
            publicRead: try row.int("public_read") != 0,
            downloadRedirects: try row.int("download_redirects") != 0,
            quotaBytes: try row.decodeNil(column: "quota_bytes") ? nil : try row.int("quota_bytes"),
            createdBy: try row.string("created_by"),
            createdAt: Date(milliseconds: try row.int("created_at"))
        )
    }

    static func versionSummary(from row: any SQLRow) throws -> VersionSummary {
        VersionSummary(
            namespace: try row.string("namespace"),
            artifact: try row.string("artifact"),
            version: try row.string("version"),
            creator: try row.string("creator"),
            createdAt: Date(milliseconds: try row.int("created_at")),
            labels: decodeLabels(try row.string("labels")),
            fileCount: Int(try row.int("file_count")),
            totalSize: UInt64(try row.int("total_size"))
        )
    }

    static func versionFile(from row: any SQLRow) throws -> VersionFile {
        VersionFile(
            path: try row.string("path"),
            address: try address(try row.string("address")),
            size: UInt64(try row.int("size")),
            mediaType: try row.string("media_type")
        )
    }

    static func tag(from row: any SQLRow) throws -> Tag {
        Tag(
            namespace: try row.string("namespace"),
            artifact: try row.string("artifact"),
            name: try row.string("tag"),
            version: try row.string("version"),
            updatedBy: try row.string("updated_by"),
            updatedAt: Date(milliseconds: try row.int("updated_at"))
        )
    }

    package static func linkedBlob(from row: any SQLRow, namespace: String, deduplicated: Bool = false) throws -> LinkedBlob {
        LinkedBlob(
            namespace: namespace,
            address: try address(try row.string("address")),
            size: UInt64(try row.int("size")),
            sha256: try digest(try row.string("sha256")),
            blake3: try digest(try row.string("blake3")),
            deduplicated: deduplicated
        )
    }

    static func blobFact(from row: any SQLRow, namespace: String) throws -> BlobFactCache.Fact {
        BlobFactCache.Fact(blob: try linkedBlob(from: row, namespace: namespace), backendID: try row.string("backend_id"))
    }

    package static func address(_ text: String) throws -> ContentAddress {
        do {
            return try ContentAddress(parsing: text)
        } catch {
            throw ControlPlaneError(.database, "stored content address \"\(text)\" does not parse", underlying: error)
        }
    }

    package static func digest(_ text: String) throws -> Digest {
        do {
            return try Digest(parsing: text)
        } catch {
            throw ControlPlaneError(.database, "stored digest \"\(text)\" does not parse", underlying: error)
        }
    }

    static func encodeLabels(_ labels: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(labels)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decodeLabels(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
