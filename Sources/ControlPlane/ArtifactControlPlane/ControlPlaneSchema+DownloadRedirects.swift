extension ControlPlaneSchema {
    /// `namespaces.download_redirects`: 0 serves every download of the namespace through the
    /// server even when its backend offers presigned redirects
    /// (``Registry/setDownloadRedirects(_:_:context:)``); 1, the default, lets the backend decide
    /// as before. Set at run time through `PUT /v1/namespaces/{ns}/settings`, beside the
    /// configuration's `redirectExemptNamespaces`, which still wins.
    static let downloadRedirects: [String] = [
        "ALTER TABLE namespaces ADD COLUMN download_redirects BIGINT NOT NULL DEFAULT 1"
    ]
}
