public import ArtifactDataPlane
public import ArtifactIdentity
public import ArtifactStoreAPI
public import ArtifactStoreCore
import Foundation
import NIOCore
package import SQLKit

/// Namespaces → artifacts → immutable versions, tags, and the blobs each namespace may see.
///
/// Exists to turn content addresses into named, versioned, access-controlled artifacts
/// (DESIGN.md §5). A push has two steps: ``ingestBlob(namespace:_:hints:context:)`` stores bytes
/// through the data plane and links them into the namespace; ``commitVersion(_:context:)`` then
/// commits the manifest, refused with `blobNotLinked` if any file's blob is not linked there.
/// Bytes are deduplicated store-wide, but a namespace sees only blobs it linked: a digest linked
/// only elsewhere answers exactly as a digest never stored (`blobNotFound` / `blobNotLinked`).
///
/// Every mutation appends its audit record in its own transaction; every refusal happens before
/// anything is written.
public struct Registry: Sendable {
    package let controlPlane: ControlPlane

    /// Most files one version may hold.
    public static let maximumFiles = 10_000

    // MARK: Namespaces

    public func createNamespace(
        _ name: String,
        immutableTags: Bool = false,
        publicRead: Bool = false,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Namespace {
        try NameGrammar.validateNamespace(name)
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("creating namespace \"\(name)\"") { db in
            if try await Self.namespace(name, in: db) != nil {
                throw ControlPlaneError(.namespaceExists, "namespace \"\(name)\" already exists")
            }
            try await db.raw(
                """
                INSERT INTO namespaces (name, immutable_tags, public_read, created_by, created_at)
                VALUES (\(bind: name), \(bind: Int64(immutableTags ? 1 : 0)), \(bind: Int64(publicRead ? 1 : 0)), \(bind: context.actor), \(bind: now))
                """
            ).run()
            try await NamespaceUsageCounter.create(name, in: db)
            let detail = [immutableTags ? "immutable tags" : nil, publicRead ? "public read" : nil].compactMap { $0 }.joined(
                separator: ", "
            )
            try await AuditLog.append(
                AuditEvent(action: "namespace.create", namespace: name, target: name, detail: detail.isEmpty ? nil : detail),
                context: context,
                at: now,
                in: db
            )
            return Namespace(
                name: name,
                immutableTags: immutableTags,
                publicRead: publicRead,
                createdBy: context.actor,
                createdAt: Date(milliseconds: now)
            )
        }
    }

    /// A namespace; served from ``BlobFactCache`` when this process read it recently (namespaces
    /// are never deleted; a change of their settings drops them from every process's cache).
    public func namespace(_ name: String) async throws(ControlPlaneError) -> Namespace {
        try NameGrammar.validateNamespace(name)
        let cache = controlPlane.caches.blobFacts.namespaces
        if let hit = cache.value(for: name, now: controlPlane.clock()) { return hit }
        let generation = cache.generation
        let found = try await controlPlane.query("reading namespace \"\(name)\"") { db in try await Self.requireNamespace(name, in: db) }
        cache.store(found, for: name, now: controlPlane.clock(), ifGeneration: generation)
        return found
    }

    public func listNamespaces(page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<Namespace> {
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing namespaces") { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.namespaceColumns) FROM namespaces
                WHERE name > \(bind: after) ORDER BY name LIMIT \(literal: limit + 1)
                """
            ).all().map(Self.namespace(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.name] }
    }

    // MARK: Blobs

    /// Step one of a push: stores `stream` through the data plane and links the blob into
    /// `namespace`. Returns once both are durable; from then on the blob is protected from GC
    /// for the grace period (as an upload in flight) and may be named in a manifest.
    ///
    /// - Throws: `namespaceNotFound` (before reading any byte), `dataPlane` for ingest failures
    ///   (digest or size mismatch, …; nothing stored), `quotaExceeded` (a declared size before
    ///   reading, a stream once it runs past the room left, or when linking; nothing linked), `blobCollected` if a concurrent GC was
    ///   deleting these very bytes (the push was not acknowledged; repeat it).
    public func ingestBlob(
        namespace: String,
        _ stream: ByteStream,
        hints: IngestHints = IngestHints(),
        context: RequestContext
    ) async throws(ControlPlaneError) -> LinkedBlob {
        try await ingestBlob(namespace: namespace, stream, hints: hints, context: context, thenRecording: nil)
    }

    /// ``ingestBlob(namespace:_:hints:context:)`` that runs `thenRecording` in the link's
    /// transaction, after the link (``BlobLinking/link(_:into:context:alsoRecording:thenRecording:)``).
    package func ingestBlob(
        namespace: String,
        _ stream: ByteStream,
        hints: IngestHints,
        context: RequestContext,
        thenRecording: (@Sendable (any SQLDatabase, LinkedBlob, Int64) async throws -> Void)?
    ) async throws(ControlPlaneError) -> LinkedBlob {
        let found = try await self.namespace(namespace)
        let result = try await ingestWithinQuota(stream, into: found, hints: hints, doing: "ingesting into namespace \"\(namespace)\"")
        return try await BlobLinking(controlPlane: controlPlane).link(
            result,
            into: namespace,
            context: context,
            thenRecording: thenRecording
        )
    }

    /// Streams `stream` into the data plane; its errors come back as the control plane's,
    /// saying what was being `doing`. Records nothing: the caller links or holds the result.
    package func ingestBytes(_ stream: ByteStream, hints: IngestHints, doing: String) async throws(ControlPlaneError) -> IngestResult {
        do {
            return try await controlPlane.dataPlane.ingest(stream, hints: hints)
        } catch {
            throw ControlPlaneError.wrapping(error, doing)
        }
    }

    /// The blob `address` as `namespace` sees it.
    ///
    /// Served from ``BlobFactCache`` when this process read it recently.
    ///
    /// - Throws: `blobNotFound` when it is not linked there, whether or not another namespace has it.
    public func blob(namespace: String, address: ContentAddress) async throws(ControlPlaneError) -> LinkedBlob {
        try NameGrammar.validateNamespace(namespace)
        return try await fact(namespace: namespace, address: address).fact.blob
    }

    /// The blob `namespace` sees under `digest`: its content address, or (for a SHA-256 digest
    /// of a blob stored under its BLAKE3 address) its SHA-256.
    ///
    /// Exists so HTTP clients that only know the SHA-256 of their bytes (RFC 9530, OCI tools)
    /// can find a blob. A found blob takes one statement (``visibleBlob(digest:namespace:in:)``)
    /// and is cached under the digest asked and under its address, so the
    /// ``openBlob(namespace:address:range:)`` that follows needs no second one.
    /// - Throws: `blobNotFound` exactly as ``blob(namespace:address:)``.
    public func blob(namespace: String, digest: Digest) async throws(ControlPlaneError) -> LinkedBlob {
        try NameGrammar.validateNamespace(namespace)
        let key = BlobFactCache.Key(namespace: namespace, digest: digest)
        return try await cachedFact(key, alsoUnderAddress: true, "reading blob \(digest)").fact.blob
    }

    /// Re-reads and re-digests a blob `namespace` can see, in the backend that holds it.
    /// Changes nothing; a mismatch is a result (``VerifyResult/verified`` `false`).
    ///
    /// - Throws: `blobNotFound` as ``blob(namespace:address:)``; `dataPlane` when it cannot be read.
    public func verifyBlob(namespace: String, address: ContentAddress) async throws(ControlPlaneError) -> VerifyResult {
        try NameGrammar.validateNamespace(namespace)
        let backendID = try await fact(namespace: namespace, address: address, cached: false).fact.backendID
        let result: VerifyResult
        do {
            result = try await controlPlane.dataPlane.verify(address, backendID: backendID)
        } catch {
            throw ControlPlaneError.wrapping(error, "verifying blob \(address)")
        }
        if !result.verified { await controlPlane.webhooks.recordVerifyFailure(namespace: namespace, result) }
        return result
    }

    /// The blob `namespace` sees at `address` as the database shows it now, dropping whatever
    /// this process cached about it first.
    ///
    /// Exists for answers that must not rest on a cached fact: a range past the end of a blob
    /// that another process has deleted (its event not yet heard here) is `blobNotFound`, not
    /// a range refusal. One statement, on that failure path only.
    /// - Throws: `blobNotFound` as ``blob(namespace:address:)``.
    public func currentBlob(namespace: String, address: ContentAddress) async throws(ControlPlaneError) -> LinkedBlob {
        try NameGrammar.validateNamespace(namespace)
        controlPlane.caches.blobFacts.invalidate(address: address)
        return try await fact(namespace: namespace, address: address, cached: false).fact.blob
    }

    /// Streams a blob `namespace` can see, whole or a range.
    ///
    /// Uses a cached blob fact when there is one; if the data plane cannot open the bytes it
    /// names (the blob was collected since), the fact is dropped and the database asked again,
    /// so a stale fact never outlives one failed open.
    public func openBlob(namespace: String, address: ContentAddress, range: ByteRange? = nil) async throws(ControlPlaneError) -> ByteStream
    {
        try NameGrammar.validateNamespace(namespace)
        let (fact, wasCached) = try await fact(namespace: namespace, address: address)
        let contents = controlPlane.caches.blobFacts.contents
        // Small blobs come from memory once proved; a range outside the blob goes to the data
        // plane, which refuses it with its own error.
        let rangeFits = range.map { $0.first <= $0.last && $0.last < fact.blob.size } ?? true
        if fact.blob.size <= contents.maximumBlobSize, rangeFits, contents.entries.isEnabled {
            if let bytes = try await smallBlob(fact, wasCached: wasCached, contents: contents) {
                return Self.slice(bytes, range)
            }
        }
        do {
            return try await controlPlane.dataPlane.serve(address, range: range, backendID: fact.backendID)
        } catch {
            guard wasCached, Self.isGone(error) else { throw ControlPlaneError.wrapping(error, "serving blob \(address)") }
        }
        controlPlane.caches.blobFacts.invalidate(address: address)
        let fresh = try await self.fact(namespace: namespace, address: address, cached: false).fact
        do {
            return try await controlPlane.dataPlane.serve(address, range: range, backendID: fresh.backendID)
        } catch {
            throw ControlPlaneError.wrapping(error, "serving blob \(address)")
        }
    }

    /// The whole bytes of a small blob: from ``SmallBlobCache``, or read and proved by the data
    /// plane (the stream ended without error) and then cached. `nil` when the cached fact's bytes
    /// cannot be read (the caller re-reads the fact).
    private func smallBlob(
        _ fact: BlobFactCache.Fact,
        wasCached: Bool,
        contents: SmallBlobCache
    ) async throws(ControlPlaneError) -> ByteBuffer? {
        let address = fact.blob.address
        if let bytes = contents.entries.value(for: address, now: controlPlane.clock()) { return bytes }
        let generation = contents.entries.generation
        var bytes = ByteBuffer()
        do {
            let stream = try await controlPlane.dataPlane.serve(address, range: nil, backendID: fact.backendID)
            if let whole = stream.wholeBuffer {
                // Read and proved whole already (a stream of one buffer checks nothing more when
                // iterated): kept as it is, without a copy or a trip through the iterator.
                bytes = whole
            } else {
                for try await buffer in stream {
                    bytes.writeImmutableBuffer(buffer)
                }
            }
        } catch {
            if wasCached, Self.isGone(error) { return nil }
            throw ControlPlaneError.wrapping(error, "serving blob \(address)")
        }
        guard UInt64(bytes.readableBytes) == fact.blob.size else {
            throw ControlPlaneError(.dataPlane, "serving blob \(address): \(bytes.readableBytes) bytes read, \(fact.blob.size) recorded")
        }
        contents.entries.store(bytes, for: address, now: controlPlane.clock(), ifGeneration: generation)
        return bytes
    }

    /// Whether a data-plane failure says the bytes are no longer there (a cached fact may be
    /// stale: the blob was collected since), rather than anything a fresh fact would not change.
    static func isGone(_ error: any Error) -> Bool {
        (error as? DataPlaneError)?.kind == .objectNotFound
    }

    /// `range` of `bytes` (a range inside them), or all of them.
    static func slice(_ bytes: ByteBuffer, _ range: ByteRange?) -> ByteStream {
        guard let range, let part = bytes.getSlice(at: bytes.readerIndex + Int(range.first), length: Int(range.count)) else {
            return ByteStream(bytes)
        }
        return ByteStream(part)
    }

    /// The fact of the blob at `address` as `namespace` sees it, and whether it came from the cache.
    func fact(
        namespace: String,
        address: ContentAddress,
        cached: Bool = true
    ) async throws(ControlPlaneError) -> (fact: BlobFactCache.Fact, wasCached: Bool) {
        let key = BlobFactCache.Key(namespace: namespace, digest: address.digest)
        if !cached { controlPlane.caches.blobFacts.blobs.invalidate(key: key) }
        return try await cachedFact(key, byAddress: true, "reading blob \(address)")
    }

    /// The fact under `key` (the blob `key.namespace` sees under `key.digest`) from the cache,
    /// or read by one prepared statement (``preparedBlobFact(digest:namespace:byAddress:)``) and then
    /// cached; `alsoUnderAddress` caches it under the blob's address too (what an address lookup
    /// would read: that very blob, linked there). `doing` (for error messages) is formatted only
    /// on a miss: a hit is every small GET's path.
    ///
    /// - Throws: `blobNotFound`, or `namespaceNotFound` when the namespace does not exist (a
    ///   second statement, on that path only).
    private func cachedFact(
        _ key: BlobFactCache.Key,
        byAddress: Bool = false,
        alsoUnderAddress: Bool = false,
        _ doing: @autoclosure () -> String
    ) async throws(ControlPlaneError) -> (fact: BlobFactCache.Fact, wasCached: Bool) {
        let cache = controlPlane.caches.blobFacts.blobs
        if let hit = cache.value(for: key, now: controlPlane.clock()) { return (hit, true) }
        let generation = cache.generation
        let found: BlobFactCache.Fact?
        do {
            found = try await preparedBlobFact(digest: key.digest, namespace: key.namespace, byAddress: byAddress)
        } catch {
            throw ControlPlaneError.wrapping(error, doing())
        }
        guard let fact = found else {
            let namespace = key.namespace
            _ = try await controlPlane.query(doing()) { db in try await Self.requireNamespace(namespace, in: db) }
            throw ControlPlaneError(.blobNotFound, "blob \(key.digest) is not in namespace \"\(namespace)\"")
        }
        let now = controlPlane.clock()
        cache.store(fact, for: key, now: now, ifGeneration: generation)
        let addressKey = BlobFactCache.Key(namespace: key.namespace, digest: fact.blob.address.digest)
        if alsoUnderAddress, addressKey != key { cache.store(fact, for: addressKey, now: now, ifGeneration: generation) }
        return (fact, false)
    }

    // MARK: Versions

    /// Step two of a push: commits `manifest` as a new, immutable version.
    ///
    /// - Throws: `invalidName`, `invalidPath`, `invalidManifest` (no files, a path twice, a bad
    ///   media type, more than ``maximumFiles``), `namespaceNotFound`, `versionExists`,
    ///   `blobNotLinked` naming the first blob not linked into the namespace. Nothing is
    ///   committed on any refusal.
    public func commitVersion(_ manifest: VersionManifest, context: RequestContext) async throws(ControlPlaneError) -> ArtifactVersion {
        try Self.validate(manifest)
        let now = controlPlane.nowMilliseconds()
        let m = manifest
        return try await controlPlane.mutate("committing \(m.namespace)/\(m.artifact)@\(m.version)") { db in
            try await Self.insertVersion(m, now: now, context: context, in: db)
        }
    }

    /// ``commitVersion(_:context:)``'s transaction body, for callers that record more in the
    /// same transaction (ArtifactOCI's manifest facts): checks, inserts and audits `m`, which
    /// ``validate(_:)`` has already accepted. `versionExists` is thrown before anything is
    /// written (after the files' blobs were found, so `blobNotLinked` comes first); other
    /// refusals may follow writes, which the caller's transaction rolls back.
    package static func insertVersion(
        _ m: VersionManifest,
        now: Int64,
        context: RequestContext,
        in db: any SQLDatabase
    ) async throws -> ArtifactVersion {
        let namespace = try await Self.requireNamespace(m.namespace, in: db)
        // Every file's blob in batches of indexed lookups (one statement per `lookupBatch`
        // addresses, whatever the namespace holds); the first file whose blob is missing is named.
        // Only each blob's size is kept: a version of thousands of files holds one number per
        // blob here, not its row.
        let sizes = try await Self.visibleBlobs(m.files.lazy.map(\.address), namespace: m.namespace, in: db, keeping: \.size)
        for file in m.files where sizes[file.address] == nil {
            throw ControlPlaneError(
                .blobNotLinked,
                "file \"\(file.path)\" names blob \(file.address), which is not linked into namespace \"\(m.namespace)\"; ingest it there first"
            )
        }
        var files = m.files.map { VersionFile(path: $0.path, address: $0.address, size: sizes[$0.address]!, mediaType: $0.mediaType) }
        files.sort { $0.path < $1.path }
        let total = files.reduce(UInt64(0)) { $0 + $1.size }
        // The version's row is the first write and its insert the existence check, so a version
        // that exists is refused before anything is written. A SELECT before it would read the
        // primary key's index page, where other artifacts' versions are inserted too: on
        // PostgreSQL that read made concurrent commits cancel each other (serializable snapshot
        // isolation locks what a read covers by index page).
        let inserted = try await db.raw(
            """
            INSERT INTO versions (namespace, artifact, version, creator, created_at, labels, file_count, total_size)
            VALUES (\(bind: m.namespace), \(bind: m.artifact), \(bind: m.version), \(bind: context.actor), \(bind: now),
                    \(bind: Self.encodeLabels(m.labels)), \(bind: Int64(files.count)), \(bind: Int64(total)))
            ON CONFLICT (namespace, artifact, version) DO NOTHING RETURNING version
            """
        ).first()
        guard inserted != nil else {
            throw ControlPlaneError(
                .versionExists,
                "version \(m.namespace)/\(m.artifact)@\(m.version) already exists; versions are immutable"
            )
        }
        // Touching the links keeps them from the GC's link sweep and makes a concurrent
        // sweep of the same link conflict with this commit. The same sorted addresses are
        // the audit event's digests.
        let linked = sizes.keys.map(\.description).sorted()
        for start in stride(from: 0, to: linked.count, by: Self.lookupBatch) {
            let batch = Array(linked[start..<min(start + Self.lookupBatch, linked.count)])
            try await db.raw(
                "UPDATE links SET linked_at = \(bind: now) WHERE namespace = \(bind: m.namespace) AND address IN (\(binds: batch))"
            ).run()
        }
        try await db.raw(
            "INSERT INTO artifacts (namespace, name, created_at) VALUES (\(bind: m.namespace), \(bind: m.artifact), \(bind: now)) ON CONFLICT (namespace, name) DO NOTHING"
        ).run()
        // The quota gate: refused (and the transaction rolled back) when the namespace cannot hold
        // it. Its quota is the one read above, in this transaction.
        try await NamespaceUsageCounter.charge(
            .files(Int64(files.count), bytes: Int64(total)),
            referencing: Int64(total),
            to: m.namespace,
            pushing: "version \(m.namespace)/\(m.artifact)@\(m.version) (\(files.count) files)",
            quotaBytes: namespace.quotaBytes,
            in: db
        )
        for chunk in stride(from: 0, to: files.count, by: 200) {
            var sql: SQLQueryString = "INSERT INTO version_files (namespace, artifact, version, path, address, size, media_type) VALUES "
            for (index, file) in files[chunk..<min(chunk + 200, files.count)].enumerated() {
                if index > 0 { sql += ", " }
                sql +=
                    "(\(bind: m.namespace), \(bind: m.artifact), \(bind: m.version), \(bind: file.path), \(bind: file.address.description), \(bind: Int64(file.size)), \(bind: file.mediaType))"
            }
            try await db.raw(sql).run()
        }
        try await AuditLog.append(
            AuditEvent(
                action: "version.commit",
                namespace: m.namespace,
                target: "\(m.namespace)/\(m.artifact)@\(m.version)",
                digests: linked
            ),
            context: context,
            at: now,
            in: db
        )
        let summary = VersionSummary(
            namespace: m.namespace,
            artifact: m.artifact,
            version: m.version,
            creator: context.actor,
            createdAt: Date(milliseconds: now),
            labels: m.labels,
            fileCount: files.count,
            totalSize: total
        )
        return ArtifactVersion(summary: summary, files: files)
    }

    /// A committed version with its files.
    public func version(namespace: String, artifact: String, version: String) async throws(ControlPlaneError) -> ArtifactVersion {
        try Self.validate(namespace: namespace, artifact: artifact, version: version)
        return try await controlPlane.query("reading \(namespace)/\(artifact)@\(version)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            let summary = try await Self.requireVersion(namespace, artifact, version, in: db)
            let files = try await db.raw(
                "SELECT path, address, size, media_type FROM version_files WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version) ORDER BY path"
            ).all().map(Self.versionFile(from:))
            return ArtifactVersion(summary: summary, files: files)
        }
    }

    /// One file of a committed version with its blob, in one indexed query (the version's
    /// other files are not read), prepared once per SQLite reader (``fileByPath``); only when
    /// there is no such file do further statements say what is missing.
    ///
    /// - Throws: `namespaceNotFound`, `versionNotFound`, `fileNotFound`.
    public func resolveFile(
        namespace: String,
        artifact: String,
        version: String,
        path: String
    ) async throws(ControlPlaneError) -> ResolvedFile {
        try Self.validate(namespace: namespace, artifact: artifact, version: version)
        try NameGrammar.validatePath(path)
        let doing = "reading \(namespace)/\(artifact)@\(version):\(path)"
        do {
            if let found = try await preparedFile(namespace: namespace, artifact: artifact, version: version, path: path) { return found }
        } catch {
            throw ControlPlaneError.wrapping(error, doing)
        }
        // No such file: say which of namespace, version and file is missing.
        return try await controlPlane.query(doing) { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            _ = try await Self.requireVersion(namespace, artifact, version, in: db)
            throw ControlPlaneError(
                .fileNotFound,
                "version \(namespace)/\(artifact)@\(version) has no file \"\(NameGrammar.printable(path))\""
            )
        }
    }

    /// Streams a file found by ``resolveFile(namespace:artifact:version:path:)``, whole or a range.
    public func open(_ resolved: ResolvedFile, range: ByteRange? = nil) async throws(ControlPlaneError) -> ByteStream {
        do {
            return try await controlPlane.dataPlane.serve(resolved.file.address, range: range, backendID: resolved.backendID)
        } catch {
            throw ControlPlaneError.wrapping(
                error,
                "serving \(resolved.namespace)/\(resolved.artifact)@\(resolved.version):\(resolved.file.path)"
            )
        }
    }

    /// Streams one file of a committed version, whole or a range.
    public func openFile(
        namespace: String,
        artifact: String,
        version: String,
        path: String,
        range: ByteRange? = nil
    ) async throws(ControlPlaneError) -> ByteStream {
        try await open(try await resolveFile(namespace: namespace, artifact: artifact, version: version, path: path), range: range)
    }

    ///
    /// - Parameter prefix: only artifacts whose name starts with it (the web UI's filter; see
    ///   ``validateArtifactPrefix(_:)``).
    public func listArtifacts(
        namespace: String,
        page: PageRequest = .first(),
        prefix: String? = nil
    ) async throws(ControlPlaneError) -> Page<Artifact> {
        try NameGrammar.validateNamespace(namespace)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let prefix = try Self.validateArtifactPrefix(prefix)
        let fetched = try await controlPlane.query("listing artifacts of \"\(namespace)\"") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            let filter: SQLQueryString = prefix.map { "AND substr(name, 1, \(literal: $0.unicodeScalars.count)) = \(bind: $0)" } ?? ""
            return try await db.raw(
                """
                SELECT namespace, name, created_at FROM artifacts
                WHERE namespace = \(bind: namespace) AND name > \(bind: after) \(filter) ORDER BY name LIMIT \(literal: limit + 1)
                """
            ).all().map { row in
                Artifact(
                    namespace: try row.string("namespace"),
                    name: try row.string("name"),
                    createdAt: Date(milliseconds: try row.int("created_at"))
                )
            }
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.name] }
    }

    /// The versions of an artifact, by version name.
    public func listVersions(
        namespace: String,
        artifact: String,
        page: PageRequest = .first()
    ) async throws(ControlPlaneError) -> Page<VersionSummary> {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing versions of \(namespace)/\(artifact)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            try await Self.requireArtifact(namespace, artifact, in: db)
            return try await db.raw(
                "SELECT \(unsafeRaw: Self.versionColumns) FROM versions WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version > \(bind: after) ORDER BY version LIMIT \(literal: limit + 1)"
            ).all().map(Self.versionSummary(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.version] }
    }

    /// The files of a version, by path.
    public func listFiles(
        namespace: String,
        artifact: String,
        version: String,
        page: PageRequest = .first()
    ) async throws(ControlPlaneError) -> Page<VersionFile> {
        try Self.validate(namespace: namespace, artifact: artifact, version: version)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing files of \(namespace)/\(artifact)@\(version)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            _ = try await Self.requireVersion(namespace, artifact, version, in: db)
            return try await db.raw(
                "SELECT path, address, size, media_type FROM version_files WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version) AND path > \(bind: after) ORDER BY path LIMIT \(literal: limit + 1)"
            ).all().map(Self.versionFile(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.path] }
    }

    /// Deletes a version and the tags pointing at it. Its blobs stay until garbage collection.
    ///
    /// - Throws: `versionNotFound`, `versionHeld` (a legal hold blocks it), `immutableTag` (it is
    ///   tagged in a namespace with immutable tags). Nothing is deleted on any refusal.
    public func deleteVersion(namespace: String, artifact: String, version: String, context: RequestContext) async throws(ControlPlaneError)
    {
        try Self.validate(namespace: namespace, artifact: artifact, version: version)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("deleting \(namespace)/\(artifact)@\(version)") { db in
            try await Self.deleteVersion(namespace, artifact, version, reason: nil, context: context, at: now, in: db)
        }
    }

    // MARK: Tags

    /// Points `tag` at `version`, creating or moving it.
    ///
    /// - Throws: `versionNotFound`; `immutableTag` when the namespace's tags are immutable and the
    ///   tag points at another version. Setting a tag to where it already points changes nothing.
    public func setTag(
        namespace: String,
        artifact: String,
        tag: String,
        version: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Tag {
        try Self.validate(namespace: namespace, artifact: artifact, version: version)
        try NameGrammar.validateTag(tag)
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("tagging \(namespace)/\(artifact):\(tag)") { db in
            let ns = try await Self.requireNamespace(namespace, in: db)
            _ = try await Self.requireVersion(namespace, artifact, version, in: db)
            let existing = try await Self.tag(namespace, artifact, tag, in: db)
            if let existing {
                if existing.version == version { return existing }
                if ns.immutableTags {
                    throw ControlPlaneError(
                        .immutableTag,
                        "tag \(namespace)/\(artifact):\(tag) points at \(existing.version) and namespace \"\(namespace)\" has immutable tags"
                    )
                }
                try await db.raw(
                    "UPDATE tags SET version = \(bind: version), updated_by = \(bind: context.actor), updated_at = \(bind: now) WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND tag = \(bind: tag)"
                ).run()
            } else {
                try await db.raw(
                    "INSERT INTO tags (namespace, artifact, tag, version, updated_by, updated_at) VALUES (\(bind: namespace), \(bind: artifact), \(bind: tag), \(bind: version), \(bind: context.actor), \(bind: now))"
                ).run()
            }
            try await AuditLog.append(
                AuditEvent(
                    action: "tag.set",
                    namespace: namespace,
                    target: "\(namespace)/\(artifact):\(tag)",
                    detail: existing.map { "\($0.version) -> \(version)" } ?? "-> \(version)"
                ),
                context: context,
                at: now,
                in: db
            )
            return Tag(
                namespace: namespace,
                artifact: artifact,
                name: tag,
                version: version,
                updatedBy: context.actor,
                updatedAt: Date(milliseconds: now)
            )
        }
    }

    /// The tag `tag` of an artifact.
    public func tag(namespace: String, artifact: String, tag: String) async throws(ControlPlaneError) -> Tag {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        try NameGrammar.validateTag(tag)
        return try await controlPlane.query("reading tag \(namespace)/\(artifact):\(tag)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            guard let found = try await Self.tag(namespace, artifact, tag, in: db) else {
                throw ControlPlaneError(.tagNotFound, "tag \(namespace)/\(artifact):\(tag) does not exist")
            }
            return found
        }
    }

    /// Removes a tag. Refused with `immutableTag` in a namespace with immutable tags.
    public func deleteTag(namespace: String, artifact: String, tag: String, context: RequestContext) async throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        try NameGrammar.validateTag(tag)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("removing tag \(namespace)/\(artifact):\(tag)") { db in
            let ns = try await Self.requireNamespace(namespace, in: db)
            guard let existing = try await Self.tag(namespace, artifact, tag, in: db) else {
                throw ControlPlaneError(.tagNotFound, "tag \(namespace)/\(artifact):\(tag) does not exist")
            }
            if ns.immutableTags {
                throw ControlPlaneError(
                    .immutableTag,
                    "tag \(namespace)/\(artifact):\(tag) cannot be removed: namespace \"\(namespace)\" has immutable tags"
                )
            }
            try await db.raw(
                "DELETE FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND tag = \(bind: tag)"
            ).run()
            try await AuditLog.append(
                AuditEvent(
                    action: "tag.delete",
                    namespace: namespace,
                    target: "\(namespace)/\(artifact):\(tag)",
                    detail: "was -> \(existing.version)"
                ),
                context: context,
                at: now,
                in: db
            )
        }
    }

    public func listTags(namespace: String, artifact: String, page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<Tag> {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing tags of \(namespace)/\(artifact)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            try await Self.requireArtifact(namespace, artifact, in: db)
            return try await db.raw(
                "SELECT namespace, artifact, tag, version, updated_by, updated_at FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND tag > \(bind: after) ORDER BY tag LIMIT \(literal: limit + 1)"
            ).all().map(Self.tag(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.name] }
    }
}
