public import ArtifactDataPlane
import ArtifactDataPlaneWire
public import ArtifactIdentity

/// The daemon's inventory, asked over the protocol (docs/dataplane-protocol.md, "Inventory"),
/// so a server using the daemon reconciles its backends as one with a data plane in process
/// does: the daemon lists and probes, the control plane decides.
extension RemoteDataPlane: StoredObjectInventory {
    public func inventoryBackendIDs() async throws(DataPlaneError) -> [String] {
        try await single(.inventoryBackends, WireInventoryBackends.self).backendIDs
    }

    /// Pages of at most ``WireProtocol/inventoryPageRange``'s upper bound, whatever `limit` asks
    /// (a shorter page with a cursor is what the protocol promises the caller anyway).
    public func storedObjects(
        _ kind: StoredObject.Kind,
        backendID: String,
        cursor: String?,
        limit: Int
    ) async throws(DataPlaneError)
        -> StoredObjectPage
    {
        let pages = WireProtocol.inventoryPageRange
        let asked = min(max(UInt64(max(limit, 0)), pages.lowerBound), pages.upperBound)
        return try await single(.listObjects(kind, backendID: backendID, cursor: cursor, limit: asked), StoredObjectPage.self)
    }

    public func contains(_ address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool {
        try await single(.containsObject(address, backendID: backendID), WirePresence.self).present
    }

    public func deleteOutboard(of address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool {
        try await single(.deleteOutboard(address, backendID: backendID), WireRemoval.self).removed
    }
}
