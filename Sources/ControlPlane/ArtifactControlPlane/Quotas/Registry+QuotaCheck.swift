import ArtifactDataPlane
import ArtifactStoreAPI

extension Registry {
    /// Ingests an upload into `namespace` without storing more than its quota leaves room for.
    ///
    /// With a quota, the room left (the quota less the larger of the bytes referenced and
    /// stored, one counter row) is read first: a declared size beyond it is refused before a
    /// byte is read, and a stream of undeclared size is stopped as soon as it runs past it (the
    /// data plane then stores nothing). Not the gate itself: the link's transaction checks
    /// again (``NamespaceUsageCounter``), so two uploads that each fit cannot both be linked.
    ///
    /// - Throws: `quotaExceeded`, and the errors of ``ingestBytes(_:hints:doing:)``.
    package func ingestWithinQuota(
        _ stream: ByteStream, into namespace: Namespace, hints: IngestHints, doing: String
    ) async throws(ControlPlaneError) -> IngestResult {
        guard let quota = namespace.quotaBytes else { return try await ingestBytes(stream, hints: hints, doing: doing) }
        let usage = try await self.usage(namespace: namespace.name)
        let room = quota - max(usage.bytesReferenced, usage.bytesStored)
        func refusal(_ what: String) -> ControlPlaneError {
            ControlPlaneError(
                .quotaExceeded,
                "\(what) does not fit namespace \"\(namespace.name)\", which has a quota of \(ByteSize.describe(quota)) and uses "
                    + "\(ByteSize.describe(usage.bytesReferenced)) referenced, \(ByteSize.describe(usage.bytesStored)) stored; "
                    + "delete versions or ask an administrator to raise the quota")
        }
        if let declared = hints.expectedSize ?? hints.sizeHint, Int64(clamping: declared) > room {
            throw refusal("an upload of \(ByteSize.describe(Int64(clamping: declared)))")
        }
        let limited = QuotaLimitedStream(base: stream, room: max(room, 0))
        do {
            return try await ingestBytes(ByteStream(limited), hints: hints, doing: doing)
        } catch {
            if limited.tripwire.isTripped { throw refusal("an upload of more than \(ByteSize.describe(max(room, 0)))") }
            throw error
        }
    }
}
