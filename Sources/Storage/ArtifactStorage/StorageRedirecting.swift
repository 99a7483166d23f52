public import Foundation

/// A URL from which a client fetches one object's bytes straight from the service that keeps
/// them, and the moment it stops working.
public struct StorageRedirect: Sendable, Hashable {
    /// An absolute URL that grants a `GET` (whole or with `Range`) of one object and nothing else.
    public var url: String
    /// When the service stops honouring ``url``.
    public var expires: Date

    public init(url: String, expires: Date) {
        self.url = url
        self.expires = expires
    }
}

/// A backend whose objects clients may download directly, by a short-lived URL, instead of
/// through the server (S3 presigned URLs).
///
/// Exists so a fleet of servers can stay out of the byte path of large downloads: the server
/// authorises the request and answers with a redirect, and the bytes go from the object store
/// to the client. What the URL grants is decided here, by the backend that keeps the object:
/// one object, `GET` only, for a bounded time.
public protocol StorageRedirecting: StorageBackend {
    /// A URL valid from `date` that grants a `GET` of the object at `path` only, or `nil` when
    /// this backend is not configured to hand out such URLs. Contacts nothing: whether the
    /// object exists is not checked (a URL for a missing object answers 404 from the service).
    func redirect(for path: StoragePath, at date: Date) throws(StorageError) -> StorageRedirect?
}
