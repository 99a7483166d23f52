package import ArtifactDataPlane
import ArtifactIdentity
package import ArtifactStoreAPI

extension Registry {
    /// Ingests an upload into `namespace` without storing more than its quota leaves room for
    /// (``withinQuota(_:namespace:declared:holding:alreadyLinked:_:)``).
    ///
    /// An upload that names its digest (`hints.expectedDigest`) of a blob the namespace already
    /// links is let through even at the quota: linking it again charges nothing
    /// (``NamespaceUsageCounter/chargeLink(_:into:in:)``). `alreadyLinked` is that blob when the
    /// caller found it by a digest the data plane does not compute (an OCI `sha512`).
    ///
    /// - Throws: `quotaExceeded`, and the errors of ``ingestBytes(_:hints:doing:)``.
    package func ingestWithinQuota(
        _ stream: ByteStream,
        into namespace: Namespace,
        hints: IngestHints,
        holding held: UInt64 = 0,
        alreadyLinked: LinkedBlob? = nil,
        doing: String
    ) async throws(ControlPlaneError) -> IngestResult {
        var linked = alreadyLinked
        if linked == nil, namespace.quotaBytes != nil, held == 0, let digest = hints.expectedDigest {
            // Any failure (not linked, the database) leaves the upload to the room the quota leaves.
            linked = try? await blob(namespace: namespace.name, digest: digest)
        }
        if let found = linked, found.address.algorithm != hints.primaryAlgorithm { linked = nil }
        do {
            return try await withinQuota(
                stream,
                namespace: namespace,
                declared: hints.expectedSize ?? hints.sizeHint,
                holding: held,
                alreadyLinked: linked?.size
            ) {
                try await ingestBytes($0, hints: hints, doing: doing)
            }
        } catch {
            throw ControlPlaneError.wrapping(error, doing)
        }
    }

    /// Runs `store` on `stream` so that no more than the room `namespace`'s quota leaves is stored.
    ///
    /// With a quota, the room left (the quota less the larger of the bytes referenced and
    /// stored, one counter row, less `held`: bytes of the same upload already kept, such as an
    /// OCI session's earlier pieces) is read first: a `declared` size beyond it is refused before
    /// a byte is read, and a stream is stopped as soon as it runs past it (the data plane then
    /// keeps nothing of it). Not the gate itself: the link's transaction checks again
    /// (``NamespaceUsageCounter``), so two uploads that each fit cannot both be linked.
    ///
    /// `alreadyLinked` is the size of a blob the namespace links and the upload says it is (by
    /// a digest the ingest checks): such an upload adds nothing to the namespace's usage, so it
    /// is given that size as its room, whatever the quota leaves; bytes that are not that blob
    /// fail the ingest's digest check, or run past that room, and nothing is stored.
    ///
    /// - Throws: `quotaExceeded`, or what `store` throws.
    package func withinQuota<Result: Sendable>(
        _ stream: ByteStream,
        namespace: Namespace,
        declared: UInt64?,
        holding held: UInt64 = 0,
        alreadyLinked: UInt64? = nil,
        _ store: (ByteStream) async throws -> Result
    ) async throws -> Result {
        guard let quota = namespace.quotaBytes else { return try await store(stream) }
        if let linked = alreadyLinked, held == 0, declared.map({ $0 == linked }) ?? true {
            let limited = QuotaLimitedStream(base: stream, room: Int64(clamping: linked))
            do {
                return try await store(ByteStream(limited))
            } catch {
                if limited.tripwire.isTripped {
                    throw ControlPlaneError(
                        .quotaExceeded,
                        "an upload said to be a blob of \(ByteSize.describe(Int64(clamping: linked))) already in namespace "
                            + "\"\(namespace.name)\" ran past that size; it does not fit the namespace's quota of \(ByteSize.describe(quota))"
                    )
                }
                throw error
            }
        }
        let usage = try await self.usage(namespace: namespace.name)
        let room = quota - max(usage.bytesReferenced, usage.bytesStored) - Int64(clamping: held)
        func refusal(_ what: String) -> ControlPlaneError {
            ControlPlaneError(
                .quotaExceeded,
                "\(what) does not fit namespace \"\(namespace.name)\", which has a quota of \(ByteSize.describe(quota)) and uses "
                    + "\(ByteSize.describe(usage.bytesReferenced)) referenced, \(ByteSize.describe(usage.bytesStored)) stored; "
                    + "delete versions or ask an administrator to raise the quota"
            )
        }
        if let declared, Int64(clamping: declared) > room {
            throw refusal("an upload of \(ByteSize.describe(Int64(clamping: declared)))")
        }
        let limited = QuotaLimitedStream(base: stream, room: max(room, 0))
        do {
            return try await store(ByteStream(limited))
        } catch {
            if limited.tripwire.isTripped { throw refusal("an upload of more than \(ByteSize.describe(max(room, 0)))") }
            throw error
        }
    }
}
