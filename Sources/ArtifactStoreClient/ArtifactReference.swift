import ArtifactControlPlane

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

/// `NS`, `NS/NAME` or `NS/NAME:VERSION`: what `ls` lists.
public struct ArtifactLocation: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var artifact: String?
    public var version: String?

    public init(parsing text: String) throws(ClientError) {
        var rest = Substring(text)
        var version: String? = nil
        if let colon = rest.lastIndex(of: ":") {
            version = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        var artifact: String? = nil
        if let slash = rest.firstIndex(of: "/") {
            artifact = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        let namespace = String(rest)
        guard version == nil || artifact != nil else {
            throw ClientError(.invalidReference, "\"\(text)\" has a version but no artifact: expected NS/NAME:VERSION")
        }
        do {
            try NameGrammar.validateNamespace(namespace)
            if let artifact { try NameGrammar.validateArtifact(artifact) }
            if let version { try NameGrammar.validateVersion(version) }
        } catch {
            throw ClientError(.invalidReference, "\"\(text)\" is not a valid reference: \(error.message)", underlying: error)
        }
        self.namespace = namespace
        self.artifact = artifact
        self.version = version
    }

    public var description: String {
        var text = namespace
        if let artifact { text += "/" + artifact }
        if let version { text += ":" + version }
        return text
    }
}
