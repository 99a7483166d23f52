import ArtifactIdentity
public import ArtifactStoreAPI

/// One file of a committed version, resolved to its blob and to where the bytes are: what
/// ``Registry/open(_:range:)`` streams.
///
/// Exists so a file download reads the database once (``Registry/resolveFile(namespace:artifact:version:path:)``)
/// and then streams, instead of loading the version's whole file list. Only the registry makes
/// one, so it always names a file the database showed in that version.
public struct ResolvedFile: Sendable, Hashable {
    public let namespace: String
    public let artifact: String
    public let version: String
    public let file: VersionFile
    public let blob: LinkedBlob
    let backendID: String
}
