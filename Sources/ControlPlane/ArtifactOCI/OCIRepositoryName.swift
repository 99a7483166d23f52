public import ArtifactControlPlane
import ArtifactStoreAPI

/// An OCI repository name mapped onto the registry: `NS/ARTIFACT`, the first component the
/// namespace, the rest (one or more components) the artifact; a single-component name `APP` is
/// `DEFAULT/APP` when a default namespace is configured (``OCINamingPolicy/defaultNamespace``).
///
/// Exists so every `/v2` route refuses a name outside both grammars (the OCI one and ours, which
/// is its subset without `__` and runs of `-`) with `NAME_INVALID` before anything is read.
public struct OCIRepositoryName: Sendable, Hashable, CustomStringConvertible {
    public let namespace: String
    public let artifact: String
    /// The name as the client wrote it (`app` for `DEFAULT/app`): what `Location` headers and
    /// listings answer with, so a client keeps talking about the repository it named.
    public let name: String

    public var description: String { name }

    public init(namespace: String, artifact: String) {
        self.namespace = namespace
        self.artifact = artifact
        self.name = "\(namespace)/\(artifact)"
    }

    /// Parses `ns/artifact[/more…]`, or `artifact` into `defaultNamespace` when there is one.
    ///
    /// - Throws: `NAME_INVALID` for one component only without a default namespace, an empty
    ///   component, or a component outside the namespace/artifact grammar (docs/control-plane.md, "Names").
    public init(parsing text: String, defaultNamespace: String? = nil) throws(OCIError) {
        let namespace: String
        let artifact: String
        // On the UTF-8 view: a `Character` search cost every OCI request 2,000 instructions.
        if let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) {
            namespace = String(text[..<slash])
            artifact = String(text[text.index(after: slash)...])
        } else if let defaultNamespace {
            namespace = defaultNamespace
            artifact = text
        } else {
            throw OCIError(
                .nameInvalid,
                "repository name \"\(NameGrammar.printable(text))\" needs at least two components: <namespace>/<artifact> "
                    + "(this server has no default namespace for single-component names; its operator can set ociDefaultNamespace)"
            )
        }
        do {
            try NameGrammar.validateNamespace(namespace)
            try NameGrammar.validateArtifact(artifact)
        } catch {
            throw OCIError(
                .nameInvalid,
                "repository name \"\(NameGrammar.printable(text))\" is invalid: \(error.message)",
                underlying: error
            )
        }
        self.namespace = namespace
        self.artifact = artifact
        self.name = text
    }
}
