public import ArtifactDataPlane
public import ArtifactIdentity
import ArtifactStoreAPI
import Foundation

// Redirected downloads: a presigned URL instead of the bytes, where the backend offers one.
extension Registry {
    /// Where a client may fetch blob `address` of `namespace` directly (a presigned URL of the
    /// backend that keeps it, valid from the control plane's clock), or `nil` when the bytes must
    /// come through the server: the backend does not redirect, `namespace` is in
    /// ``ControlPlane/Configuration/redirectExemptNamespaces``, or its own switch is off
    /// (``setDownloadRedirects(_:_:context:)``).
    ///
    /// The caller has authorised the request; this looks the blob up as
    /// ``openBlob(namespace:address:range:)`` does (a cached fact, else one statement), so a blob
    /// the namespace cannot see is `blobNotFound` here too.
    public func downloadRedirect(namespace: String, address: ContentAddress) async throws(ControlPlaneError) -> DownloadRedirect? {
        try NameGrammar.validateNamespace(namespace)
        guard !controlPlane.configuration.redirectExemptNamespaces.contains(namespace) else { return nil }
        let fact = try await fact(namespace: namespace, address: address).fact
        return try await downloadRedirect(address, backendID: fact.backendID, namespace: namespace, what: "blob \(address)")
    }

    /// Where a client may fetch the file `resolved` directly, or `nil`, as
    /// ``downloadRedirect(namespace:address:)``.
    public func downloadRedirect(_ resolved: ResolvedFile) async throws(ControlPlaneError) -> DownloadRedirect? {
        guard !controlPlane.configuration.redirectExemptNamespaces.contains(resolved.namespace) else { return nil }
        return try await downloadRedirect(
            resolved.file.address,
            backendID: resolved.backendID,
            namespace: resolved.namespace,
            what: "\(resolved.namespace)/\(resolved.artifact)@\(resolved.version):\(resolved.file.path)"
        )
    }

    /// The backend's redirect, if it offers one and `namespace` allows it (the namespace is read
    /// from its cache only when there is a redirect to refuse).
    private func downloadRedirect(
        _ address: ContentAddress,
        backendID: String,
        namespace: String,
        what: @autoclosure () -> String
    ) async throws(ControlPlaneError) -> DownloadRedirect? {
        let redirect: DownloadRedirect?
        do {
            redirect = try await controlPlane.dataPlane.downloadRedirect(address, backendID: backendID, at: controlPlane.clock())
        } catch {
            // `what` is formatted only here: a digest's hex cost every GET some 2,500 instructions.
            throw ControlPlaneError.wrapping(error, "redirecting the download of \(what())")
        }
        guard let redirect else { return nil }
        return try await self.namespace(namespace).downloadRedirects ? redirect : nil
    }
}
