@_exported public import ArtifactStoreCore

/// A name, path or media type that breaks ``NameGrammar``.
///
/// Exists so the grammar can live in the contract, below the control plane: its codes are the wire
/// codes the control plane answers with for the same refusal (`invalidName`, `invalidPath`,
/// `invalidManifest`), and the control plane passes code and message on unchanged.
public typealias NameGrammarError = LayeredError<NameGrammarErrorCode>

/// Which rule of ``NameGrammar`` was broken, spelled as the API's error code.
public enum NameGrammarErrorCode: String, ErrorCode {
    case invalidName
    case invalidPath
    case invalidManifest

    public static let layer = "API contract (name grammar)"

    public var meaning: String {
        switch self {
        case .invalidName: "A namespace, artifact, version, tag, label or policy name breaks the grammar in docs/control-plane.md."
        case .invalidPath: "A file path is not a clean relative path."
        case .invalidManifest: "A media type is not `type/subtype`."
        }
    }

    public var httpStatus: Int? { 400 }
}
