import ArtifactStoreAPI

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
            try NameGrammar.checkNamespace(namespace)
            if let artifact { try NameGrammar.checkArtifact(artifact) }
            if let version { try NameGrammar.checkVersion(version) }
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
