import ArtifactStoreCore

/// A name, path or media type that breaks ``NameGrammar``.
///
/// Exists so the grammar can live in the contract, below the control plane: its ``Code`` values
/// are the wire codes the control plane answers with for the same refusal (`invalidName`,
/// `invalidPath`, `invalidManifest`), and the control plane passes code and message on unchanged.
public struct NameGrammarError: ArtifactStoreError {
    /// Which rule was broken, spelled as the API's error code.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A namespace, artifact, version, tag, label or policy name.
        case invalidName
        /// A file path.
        case invalidPath
        /// A media type (part of a manifest).
        case invalidManifest
    }

    public let kind: Code
    public let message: String

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
