/// Connects to a named in-memory store (`memory://name`).
///
/// Connectors with the same name share one store within the process. A memory store is always
/// reachable, so `verifyConnection` only checks the name; `verifyAccess` runs the same probe as
/// every other backend.
public struct MemoryConnector: StorageConnector {
    public let name: String

    public init(name: String) throws(StorageError) {
        try MemoryStoreRegistry.validate(name: name)
        self.name = name
    }

    public func verifyConnection() async throws(StorageError) {}

    public func verifyAccess(user: String?, permissions: UInt32?) async throws(StorageError) {
        try await StorageAccessProbe.run(on: MemoryBackend(name: name), user: user, permissions: permissions)
    }

    public func connect() async throws(StorageError) -> any StorageBackend {
        try MemoryBackend(name: name)
    }
}
