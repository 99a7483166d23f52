import ArtifactIdentity
import NIOFileSystem

/// What is at the path a pull would write a file to, compared with the file it would write.
///
/// Exists so `pull` never silently replaces a local file: one with the right content is left
/// alone, one with other content (or anything that is not a regular file) is replaced only on
/// request (``ArtifactStoreClient/pull(_:into:overwrite:concurrency:progress:)``).
enum LocalTarget: Sendable, Equatable {
    /// Nothing is there.
    case absent
    /// A regular file with exactly the expected bytes.
    case identical
    /// Something else: another size or content, a directory, a symbolic link.
    case differs

    /// Looks at `path` without following a symbolic link; a regular file of the right size is
    /// hashed with `address`'s algorithm.
    static func inspect(_ path: String, address: ContentAddress, size: UInt64) async throws -> LocalTarget {
        guard let info = try? await FileSystem.shared.info(forFileAt: FilePath(path), infoAboutSymbolicLink: true) else {
            return .absent
        }
        guard info.type == .regular, UInt64(info.size) == size else { return .differs }
        let digest = try await ArtifactStoreClient.digest(ofFileAt: path, size: size, algorithm: address.algorithm)
        return digest == address.digest ? .identical : .differs
    }
}
