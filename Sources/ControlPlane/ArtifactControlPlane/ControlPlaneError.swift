import ArtifactDataPlane
import ArtifactMetadata
import ArtifactStoreCore

/// Every failure of a control-plane operation: registry, retention, GC, audit and auth.
///
/// Exists so the HTTP API and the CLI can answer with a stable ``code`` (and the right status)
/// without knowing which part refused. Every refusal happens before anything is changed: a
/// refused call leaves the metadata, the audit log (except the record of a failed
/// authorisation) and the stored bytes as they were.
public struct ControlPlaneError: ArtifactStoreError {
    /// Stable control-plane error codes. Never renamed once published.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A namespace, artifact, version, tag, label, policy or token name breaks the grammar
        /// in docs/control-plane.md.
        case invalidName
        /// A file path in a manifest is not a clean relative path.
        case invalidPath
        /// A manifest is malformed: no files, a path twice, a bad media type.
        case invalidManifest
        /// A digest or content address does not parse.
        case invalidDigest
        /// A page cursor or limit is not acceptable.
        case invalidPageRequest
        /// A retention policy is malformed (no rule, negative numbers, bad glob).
        case invalidPolicy
        /// No such namespace.
        case namespaceNotFound
        /// The namespace already exists.
        case namespaceExists
        /// No such artifact in the namespace.
        case artifactNotFound
        /// No such version of the artifact.
        case versionNotFound
        /// No such file in the version.
        case fileNotFound
        /// No such tag on the artifact.
        case tagNotFound
        /// The version already exists; versions are immutable.
        case versionExists
        /// The namespace's tags are immutable and the tag already points elsewhere (or would be
        /// removed).
        case immutableTag
        /// The version is under a legal hold; nothing may delete it.
        case versionHeld
        /// The version already has a legal hold.
        case holdExists
        /// The version has no legal hold to release.
        case holdNotFound
        /// No such retention policy.
        case policyNotFound
        /// The retention policy already exists.
        case policyExists
        /// The digest is not visible in this namespace: never stored, or stored only by
        /// another namespace (the two are indistinguishable on purpose).
        case blobNotFound
        /// A manifest names a blob that is not linked into the namespace. Nothing was committed.
        case blobNotLinked
        /// The bytes just ingested were being garbage-collected at the same moment and are
        /// gone; the push was not acknowledged and should be repeated.
        case blobCollected
        /// No token, or a token that is not known.
        case unauthenticated
        /// The token has expired.
        case tokenExpired
        /// The token has been revoked.
        case tokenRevoked
        /// The token is valid but lacks the scope.
        case forbidden
        /// No such token.
        case tokenNotFound
        /// A token supplied from outside (the bootstrap admin token of an automated deployment)
        /// is not of the form `ast_<16 hex>_<64 hex>`.
        case invalidToken
        /// The database's schema is newer than this code.
        case databaseTooNew
        /// The database could not be opened or reached.
        case databaseUnavailable
        /// A database statement failed.
        case database
        /// The data plane refused or failed; ``underlying`` is the `DataPlaneError` and the
        /// message includes its code.
        case dataPlane
    }

    public let kind: Code
    public let message: String
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    /// Wraps a metadata-store or data-plane failure, keeping control-plane errors as they are.
    package static func wrapping(_ error: any Error, _ doing: String) -> ControlPlaneError {
        switch error {
        case let error as ControlPlaneError:
            return error
        case let error as MetadataStoreError:
            let kind: Code =
                switch error.kind {
                case .databaseTooNew: .databaseTooNew
                case .databaseUnavailable, .invalidDatabaseURL, .closed: .databaseUnavailable
                case .database: .database
                }
            return ControlPlaneError(kind, "\(doing): \(error.message)", underlying: error)
        case let error as DataPlaneError:
            return ControlPlaneError(.dataPlane, "\(doing): data plane \(error.code): \(error.message)", underlying: error)
        default:
            return ControlPlaneError(.database, "\(doing): \(error)", underlying: error)
        }
    }
}
