/// `NS/NAME:VERSION`: a version (or tag) of an artifact in a namespace, as the CLI takes it.
///
/// The artifact name may contain `/` (`team/app/linux-x64`); the version is what follows the
/// last `:`. Every part is checked against the registry's grammar (`NameGrammar`) before any
/// request is made, so a bad reference fails with `invalidReference` and changes nothing.
public struct ArtifactReference: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var artifact: String
    public var version: String

    public init(namespace: String, artifact: String, version: String) {
        self.namespace = namespace
        self.artifact = artifact
        self.version = version
    }

    /// Parses `NS/NAME:VERSION`.
    public init(parsing text: String) throws(ClientError) {
        let location = try ArtifactLocation(parsing: text)
        guard let artifact = location.artifact, let version = location.version else {
            throw ClientError(.invalidReference, "\"\(text)\" is not a reference NS/NAME:VERSION")
        }
        self.init(namespace: location.namespace, artifact: artifact, version: version)
    }

    public var description: String { "\(namespace)/\(artifact):\(version)" }
}
