public import ArtifactDataPlane
public import ArtifactIdentity
import ArtifactStorage
public import Foundation

extension LocalDataPlane {
    /// The backend's presigned URL for `address` (``StorageRedirecting``), or `nil` when the
    /// backend does not redirect downloads. Fails as ``serve(_:range:backendID:)`` would for an
    /// unknown or unreachable backend; never contacts the storage service otherwise.
    public func downloadRedirect(
        _ address: ContentAddress,
        backendID: String?,
        at date: Date
    ) async throws(DataPlaneError) -> DownloadRedirect? {
        let (backendID, backend) = try await redirectingBackend(for: backendID)
        guard let redirecting = backend else { return nil }
        do {
            guard let redirect = try redirecting.redirect(for: Self.path(of: address), at: date) else { return nil }
            return DownloadRedirect(url: redirect.url, expires: redirect.expires, backendID: backendID)
        } catch {
            throw .storage(error, "presign a download of \(address)", backendID: backendID)
        }
    }
}
