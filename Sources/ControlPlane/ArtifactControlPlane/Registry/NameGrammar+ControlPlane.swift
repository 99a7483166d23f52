public import ArtifactStoreAPI

/// The contract's grammar (``NameGrammar``) as the control plane throws it: the same checks, the
/// same code and message, as a ``ControlPlaneError``.
///
/// Exists so every control-plane operation keeps its one typed error while the rules themselves
/// are written once, in the API contract the client also checks names with.
extension NameGrammar {
    public static func validateNamespace(_ name: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkNamespace(name) }
    }

    public static func validateArtifact(_ name: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkArtifact(name) }
    }

    public static func validateVersion(_ name: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkVersion(name) }
    }

    public static func validateTag(_ name: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkTag(name) }
    }

    public static func validatePolicyName(_ name: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkPolicyName(name) }
    }

    public static func validateLabel(key: String, value: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkLabel(key: key, value: value) }
    }

    public static func validatePath(_ path: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkPath(path) }
    }

    public static func validateMediaType(_ mediaType: String) throws(ControlPlaneError) {
        try refusing { () throws(NameGrammarError) in try checkMediaType(mediaType) }
    }

    private static func refusing(_ check: () throws(NameGrammarError) -> Void) throws(ControlPlaneError) {
        do {
            try check()
        } catch {
            let kind: ControlPlaneError.Code =
                switch error.kind {
                case .invalidName: .invalidName
                case .invalidPath: .invalidPath
                case .invalidManifest: .invalidManifest
                }
            throw ControlPlaneError(kind, error.message)
        }
    }
}
