import ArtifactDataPlane
import ArtifactStoreAPI

extension Registry {
    /// Refuses an upload of a declared `size` into `namespace` before a byte is read when it
    /// cannot fit the namespace's quota (its usage is one row). Not the gate itself: the link's
    /// transaction checks again (``NamespaceUsageCounter``), so two uploads that each fit
    /// cannot both pass; this only spares storing bytes that would be refused.
    ///
    /// - Throws: `quotaExceeded`.
    package func refuseUploadBeyondQuota(_ namespace: Namespace, hints: IngestHints) async throws(ControlPlaneError) {
        guard let quota = namespace.quotaBytes, let declared = hints.expectedSize ?? hints.sizeHint else { return }
        let size = Int64(clamping: declared)
        let usage = try await self.usage(namespace: namespace.name)
        guard usage.bytesReferenced + size > quota || usage.bytesStored + size > quota else { return }
        throw ControlPlaneError(
            .quotaExceeded,
            "an upload of \(ByteSize.describe(size)) does not fit namespace \"\(namespace.name)\", which has a quota of "
                + "\(ByteSize.describe(quota)) and uses \(ByteSize.describe(usage.bytesReferenced)) referenced, "
                + "\(ByteSize.describe(usage.bytesStored)) stored; delete versions or ask an administrator to raise the quota")
    }
}
