import ArtifactControlPlane
import ArtifactStoreAPI

/// An OCI repository name mapped onto the registry: `NS/ARTIFACT`, the first component the
/// namespace, the rest (one or more components) the artifact.
///
/// Exists so every `/v2` route refuses a name outside both grammars (the OCI one and ours, which
/// is its subset without `__` and runs of `-`) with `NAME_INVALID` before anything is read.
public struct OCIRepositoryName: Sendable, Hashable, CustomStringConvertible {
    public let namespace: String
    public let artifact: String

    public var description: String { "\(namespace)/\(artifact)" }

    public init(namespace: String, artifact: String) {
        self.namespace = namespace
        self.artifact = artifact
    }

    /// Parses `ns/artifact[/more…]`.
    ///
    /// - Throws: `NAME_INVALID` for one component only, an empty component, or a component
    ///   outside the namespace/artifact grammar (docs/control-plane.md, "Names").
    public init(parsing text: String) throws(OCIError) {
        guard let slash = text.firstIndex(of: "/") else {
            throw OCIError(
                .nameInvalid, "repository name \"\(NameGrammar.printable(text))\" needs at least two components: <namespace>/<artifact>")
        }
        let namespace = String(text[..<slash])
        let artifact = String(text[text.index(after: slash)...])
        do {
            try NameGrammar.validateNamespace(namespace)
            try NameGrammar.validateArtifact(artifact)
        } catch {
            throw OCIError(.nameInvalid, "repository name \"\(NameGrammar.printable(text))\" is invalid: \(error.message)", underlying: error)
        }
        self.init(namespace: namespace, artifact: artifact)
    }
}
