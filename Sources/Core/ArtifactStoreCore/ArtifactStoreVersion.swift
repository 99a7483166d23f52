/// The version of this build of ArtifactStore.
///
/// Exists so there is one version string: `artifactstore --version` prints it, the server
/// exposes it as `artifactstore_build_info{version=…}` and the client sends it in its
/// `User-Agent`. Change it here when releasing.
public enum ArtifactStoreVersion {
    public static let current = "0.1.0"
}
