/// Reaches a storage backend and hands out a backend confined to its root.
///
/// A connector carries what is needed to reach one backend (a directory, a bucket and its
/// credentials, a memory store's name) and checks it before use. Every backend it returns from
/// ``connect()`` is scoped: it cannot touch anything outside the configured root.
public protocol StorageConnector: Sendable {
    /// A lightweight check that the backend is there: the directory exists, the bucket answers.
    /// Throws `unreachable` (or `accessDenied`) with the reason.
    func verifyConnection() async throws(StorageError)

    /// Probes that the caller may create, write, read back and delete inside the root, leaving
    /// nothing behind. With `permissions` and/or `user`, also checks the probe object received
    /// that mode and owner. Throws `accessDenied` with the step that failed.
    func verifyAccess(user: String?, permissions: UInt32?) async throws(StorageError)

    /// Returns the scoped backend, ready for use. Throws `unreachable` or `accessDenied`.
    func connect() async throws(StorageError) -> any StorageBackend
}
