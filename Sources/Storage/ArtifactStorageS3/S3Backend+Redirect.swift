public import ArtifactStorage
public import Foundation

// Redirected downloads: a presigned GetObject URL per object (``S3Configuration/redirectExpiry``).
extension S3Backend: StorageRedirecting {
    /// A SigV4 query-string presigned `GET` of the object at `path`, valid for
    /// ``S3Configuration/redirectExpiry`` seconds from `date`; `nil` when that is not set.
    ///
    /// Only `Host` is signed (with `UNSIGNED-PAYLOAD`), so the client may add `Range`: the URL
    /// names the method, the bucket and the object's key, and S3 refuses it for any other key,
    /// method or after its expiry. Nothing is sent; the object is not checked to exist.
    public func redirect(for path: StoragePath, at date: Date) throws(StorageError) -> StorageRedirect? {
        guard let expiry = configuration.redirectExpiry else { return nil }
        let url = try client.presignedGetURL(key: key(for: path), expires: expiry, date: date)
        return StorageRedirect(url: url, expires: date.addingTimeInterval(TimeInterval(expiry)))
    }
}
