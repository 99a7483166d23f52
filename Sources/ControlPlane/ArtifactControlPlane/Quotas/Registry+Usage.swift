public import ArtifactStoreAPI
import SQLKit

extension Registry {
    /// What namespace `name` holds (objects, files, bytes referenced and stored after
    /// deduplication) and its quota, read from its maintained counter row (``NamespaceUsageCounter``).
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`.
    public func usage(namespace name: String) async throws(ControlPlaneError) -> NamespaceUsage {
        try NameGrammar.validateNamespace(name)
        return try await controlPlane.query("reading the usage of namespace \"\(name)\"") { db in
            if let usage = try await NamespaceUsageCounter.read(name, in: db) { return usage }
            _ = try await Self.requireNamespace(name, in: db)
            // A namespace whose row is not written yet holds nothing.
            return NamespaceUsage(namespace: name, objects: 0, files: 0, bytesReferenced: 0, bytesStored: 0)
        }
    }

    /// The usage and quota of every namespace, by name, from the counter rows (one row each).
    public func usageOfAllNamespaces() async throws(ControlPlaneError) -> [NamespaceUsage] {
        try await controlPlane.query("reading the usage of every namespace") { db in try await NamespaceUsageCounter.readAll(in: db) }
    }

    /// The usage of `name` counted from its links and version files (slow: for checks and tests).
    public func recountUsage(namespace name: String) async throws(ControlPlaneError) -> NamespaceUsage {
        try NameGrammar.validateNamespace(name)
        return try await controlPlane.query("recounting the usage of namespace \"\(name)\"") { db in
            try await NamespaceUsageCounter.recount(name, in: db)
        }
    }
}
