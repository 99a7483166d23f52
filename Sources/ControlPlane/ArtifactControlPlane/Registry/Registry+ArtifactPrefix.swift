import ArtifactStoreAPI

extension Registry {
    /// An artifact-name prefix to filter a list by: `nil` or empty for none; at most 256
    /// characters and no invisible character (as names), else `invalidName`.
    static func validateArtifactPrefix(_ prefix: String?) throws(ControlPlaneError) -> String? {
        guard let prefix, !prefix.isEmpty else { return nil }
        guard prefix.unicodeScalars.count <= 256 else {
            throw ControlPlaneError(.invalidName, "artifact prefix \"\(NameGrammar.printable(prefix))\" is longer than 256 characters")
        }
        if let scalar = NameGrammar.invisibleCharacter(in: prefix) {
            throw ControlPlaneError(.invalidName, NameGrammar.invisibleCharacterMessage("artifact prefix", prefix, scalar))
        }
        return prefix
    }
}
