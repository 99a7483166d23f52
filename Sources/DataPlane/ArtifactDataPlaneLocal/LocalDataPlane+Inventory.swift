public import ArtifactDataPlane
public import ArtifactIdentity
import ArtifactStorage

extension LocalDataPlane: StoredObjectInventory {
    public func inventoryBackendIDs() async throws(DataPlaneError) -> [String] {
        [defaultBackendID] + backends.map(\.id).filter { $0 != defaultBackendID }
    }

    public func storedObjects(
        _ kind: StoredObject.Kind,
        backendID: String,
        cursor: String?,
        limit: Int
    ) async throws(DataPlaneError)
        -> StoredObjectPage
    {
        let (backendID, backend) = try await backend(for: backendID)
        let area = kind == .object ? "blobs" : "outboards"
        let page: StorageListPage
        do {
            page = try await backend.list(under: try! StoragePath(area), recursive: true, limit: max(1, limit), cursor: cursor)
        } catch {
            throw .storage(error, "list \(area)/", backendID: backendID)
        }
        let objects = page.entries.compactMap { entry -> StoredObject? in
            guard entry.kind == .object else { return nil }
            return StoredObject(
                address: Self.address(stored: entry.path.string, kind: kind),
                path: entry.path.string,
                kind: kind,
                backendID: backendID,
                size: entry.size ?? 0,
                modified: entry.modified
            )
        }
        return StoredObjectPage(objects: objects, nextCursor: page.nextCursor)
    }

    public func contains(_ address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool {
        let (backendID, backend) = try await backend(for: backendID)
        do {
            return try await backend.exists(Self.path(of: address))
        } catch {
            throw .storage(error, "look for \(address)", backendID: backendID)
        }
    }

    public func deleteOutboard(of address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool {
        let (backendID, backend) = try await backend(for: backendID)
        do {
            try await backend.delete(Self.outboardPath(of: address))
            return true
        } catch  where error.kind == .objectNotFound {
            return false
        } catch {
            throw .storage(error, "delete the outboard of \(address)", backendID: backendID)
        }
    }

    /// The address whose object (or outboard) lives at `path`; `nil` unless `path` is exactly
    /// where that address's file would be (`blobs/<algorithm>/<hex 0-2>/<hex 2-4>/<hex>`).
    static func address(stored path: String, kind: StoredObject.Kind) -> ContentAddress? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == (kind == .object ? "blobs" : "outboards"),
            let address = ContentAddress("\(parts[1]):\(parts[4])")
        else { return nil }
        let key = address.storageKey
        return key.dropFirst("blobs/".count) == path.dropFirst(parts[0].count + 1) ? address : nil
    }
}
