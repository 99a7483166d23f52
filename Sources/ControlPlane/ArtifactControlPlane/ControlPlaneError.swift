public import ArtifactDataPlane
import ArtifactMetadata
// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Every failure of a control-plane operation: registry, retention, GC, audit and auth.
///
/// Exists so the HTTP API and the CLI can answer with a stable ``code`` (and the right status)
/// without knowing which part refused. Every refusal happens before anything is changed: a
/// refused call leaves the metadata, the audit log (except the record of a failed
/// authorisation) and the stored bytes as they were.
public typealias ControlPlaneError = LayeredError<ControlPlaneErrorCode>

/// Stable control-plane error codes. Never renamed once published.
public enum ControlPlaneErrorCode: String, ErrorCode {
    case invalidName
    case invalidPath
    case invalidManifest
    case invalidDigest
    case invalidPageRequest
    case invalidPolicy
    case namespaceNotFound
    case namespaceExists
    case artifactNotFound
    case versionNotFound
    case fileNotFound
    case tagNotFound
    case versionExists
    case immutableTag
    case versionHeld
    case holdExists
    case holdNotFound
    case policyNotFound
    case policyExists
    case blobNotFound
    case blobNotLinked
    case blobCollected
    case unauthenticated
    case tokenExpired
    case tokenRevoked
    case forbidden
    case tokenNotFound
    case invalidToken
    case registryTokenInvalid
    case registryTokenExpired
    case registryTokenAudience
    case invalidRegistryScope
    case directoryUnavailable
    case identityProviderUnavailable
    case databaseTooNew
    case databaseUnavailable
    case database
    case dataPlane
    case auditRecordMalformed
    case internalError
    case backupDestinationNotEmpty
    case restoreDestinationNotEmpty
    case backupInvalid
    case backupObjectCorrupt
    case backupUnsupported
    case invalidWebhook
    case webhookAddressRefused
    case webhookNotFound
    case invalidProxy
    case proxyNotFound
    case quotaExceeded
    case invalidQuota
    case invalidReplication
    case replicationNotFound
    case replicationExists

    public static let layer = "control plane"

    public var meaning: String {
        switch self {
        case .invalidName:
            "A namespace, artifact, version, tag, label, policy or token name breaks the grammar in control-plane.md; a hold"
                + " without a reason; a token without grants."
        case .invalidPath: "A file path in a manifest is not a clean relative path."
        case .invalidManifest: "A manifest is malformed: no files, a path twice, more than 10,000 files, a bad media type."
        case .invalidDigest: "A digest or content address does not parse."
        case .invalidPageRequest: "A page limit outside 1–1000, or a cursor the list did not issue."
        case .invalidPolicy: "A retention policy is malformed (no rule, negative numbers, bad glob)."
        case .namespaceNotFound: "No such namespace."
        case .namespaceExists: "The namespace already exists."
        case .artifactNotFound: "No such artifact in the namespace."
        case .versionNotFound: "No such version of the artifact."
        case .fileNotFound: "No such file in the version."
        case .tagNotFound: "No such tag on the artifact."
        case .versionExists: "The version already exists; versions are immutable."
        case .immutableTag: "The namespace's tags are immutable and the tag already points elsewhere (or would be removed)."
        case .versionHeld: "The version is under a legal hold; nothing may delete it."
        case .holdExists: "The version already has a legal hold."
        case .holdNotFound: "The version has no legal hold to release."
        case .policyNotFound: "No such retention policy."
        case .policyExists: "The retention policy already exists."
        case .blobNotFound:
            "The digest is not visible in this namespace: never stored, or stored only by another namespace (the two are "
                + "indistinguishable on purpose)."
        case .blobNotLinked: "A manifest names a blob that is not linked into the namespace. Nothing was committed."
        case .blobCollected:
            "The bytes just ingested were being garbage-collected at the same moment and are gone; the push was not acknowledged and "
                + "should be repeated."
        case .unauthenticated: "No token, or a token that is not known."
        case .tokenExpired: "The token has expired."
        case .tokenRevoked: "The token has been revoked."
        case .forbidden: "The token is valid but lacks the scope."
        case .tokenNotFound: "No such token."
        case .invalidToken:
            "A token supplied from outside (the bootstrap admin token of an automated deployment) is not of the form `ast_<16 "
                + "hex>_<64 hex>`."
        case .registryTokenInvalid:
            "A registry bearer JWT is malformed, names another algorithm than the server's (`alg=none` included) or an unknown "
                + "key, or its signature does not verify."
        case .registryTokenExpired: "A registry bearer JWT has expired, or is not valid yet (`nbf`, `iat` in the future)."
        case .registryTokenAudience: "A registry bearer JWT was issued for another service (`aud`) or by another issuer (`iss`)."
        case .invalidRegistryScope:
            "A `scope` asked of the registry token endpoint is not `repository:<name>:<actions>` with a valid repository name "
                + "and pull, push, delete or `*` actions, or names another service."
        case .directoryUnavailable:
            "The directory (LDAP) that checks user names and passwords could not be reached, answered too slowly or "
                + "answered something malformed; try again, or use a store token."
        case .identityProviderUnavailable:
            "The OpenID provider could not be reached, answered too slowly or answered something malformed (discovery, keys, "
                + "token or userinfo); try again, or sign in with a store token."
        case .databaseTooNew: "The database's schema is newer than this code."
        case .databaseUnavailable: "The database could not be opened or reached (also the store's `invalidDatabaseURL` and `closed`)."
        case .database: "A database statement failed, or the database holds a value this code cannot read."
        case .dataPlane:
            "The data plane refused or failed; the cause is the `DataPlaneError` and the message includes its code. The HTTP API "
                + "answers with the data-plane code itself."
        case .auditRecordMalformed:
            "An audit record does not parse; an audit export ends with this code in its last line (after a 200), and the CLI exits 6."
        case .internalError:
            "A failure the control plane did not foresee (not from the database or the data plane); the cause is kept for the server log."
        case .backupDestinationNotEmpty: "A backup's destination directory is not empty; nothing was written."
        case .restoreDestinationNotEmpty: "A restore's data directory, database or backend already holds something; nothing was written."
        case .backupInvalid:
            "A backup directory is incomplete or damaged (no manifest, an unknown format, a snapshot that does not match its recorded "
                + "digest, a listed object that is not there)."
        case .backupObjectCorrupt:
            "An object in a backup does not hash to its address. The restore stopped and removed what it had written."
        case .backupUnsupported: "The store cannot be backed up this way (a PostgreSQL database: use `pg_dump`)."
        case .invalidWebhook:
            "A webhook endpoint is malformed: a URL that is not absolute http(s) with a host, credentials in the URL, an unknown "
                + "event name, or an empty or oversized secret. Nothing was stored."
        case .webhookAddressRefused:
            "A webhook URL points at a loopback, private, link-local or other non-public address that the configuration "
                + "(`webhookAllowedNetworks`) does not allow. Nothing was stored."
        case .webhookNotFound: "No such webhook endpoint in the namespace."
        case .invalidProxy:
            "A proxy namespace's configuration is malformed (an upstream that is not an http(s) URL, a bad prefix, glob or host, "
                + "a TTL out of range, a user name without a password)."
        case .proxyNotFound: "The namespace is not a proxy namespace."
        case .quotaExceeded:
            "The push would take the namespace past its quota on bytes referenced (or, for a blob upload, past it in bytes stored); "
                + "the message names the namespace, its quota and its usage. Nothing was stored or linked. Delete versions or have "
                + "the quota raised (`artifactstore namespace set NS --quota SIZE`)."
        case .invalidQuota: "A namespace quota is negative or not a size (`10GiB`, `500MB`, a number of bytes). Nothing changed."
        case .invalidReplication:
            "A replication rule is malformed: a name outside the grammar, a remote that is not an http(s) URL with a host (or "
                + "carries credentials, a query or a fragment), a bad repository glob, an interval out of range, a user name "
                + "without a password. Nothing was stored."
        case .replicationNotFound: "No replication rule has that name."
        case .replicationExists: "A replication rule with that name exists; delete it first or choose another name."
        }
    }

    public var httpStatus: Int? {
        switch self {
        case .invalidName, .invalidPath, .invalidManifest, .invalidDigest, .invalidPageRequest, .invalidPolicy, .invalidToken,
            .blobNotLinked, .invalidWebhook, .webhookAddressRefused, .invalidRegistryScope, .invalidProxy, .invalidQuota,
            .invalidReplication:
            400
        case .quotaExceeded: 413
        case .unauthenticated, .tokenExpired, .tokenRevoked, .registryTokenInvalid, .registryTokenExpired, .registryTokenAudience: 401
        case .forbidden: 403
        case .namespaceNotFound, .artifactNotFound, .versionNotFound, .fileNotFound, .tagNotFound, .holdNotFound, .policyNotFound,
            .blobNotFound, .tokenNotFound, .webhookNotFound, .proxyNotFound, .replicationNotFound:
            404
        case .namespaceExists, .versionExists, .immutableTag, .versionHeld, .holdExists, .policyExists, .blobCollected,
            .replicationExists:
            409
        case .databaseUnavailable, .directoryUnavailable, .identityProviderUnavailable: 503
        case .databaseTooNew, .database, .dataPlane, .internalError: 500
        case .auditRecordMalformed, .backupDestinationNotEmpty, .restoreDestinationNotEmpty, .backupInvalid, .backupObjectCorrupt,
            .backupUnsupported:
            nil
        }
    }

    public var exitStatus: ExitStatus? {
        switch self {
        case .auditRecordMalformed, .backupInvalid, .backupObjectCorrupt: .integrity
        case .backupDestinationNotEmpty, .restoreDestinationNotEmpty: .conflict
        case .backupUnsupported: .usage
        default: httpStatus.map(ExitStatus.init(httpStatus:))
        }
    }
}

extension ControlPlaneError {
    /// Wraps a metadata-store or data-plane failure, keeping control-plane errors as they are.
    /// Any other error is `internalError`, never mistaken for a database failure; it stays the
    /// cause, so the server log has it, and the message does not print it.
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
            return ControlPlaneError(.internalError, "\(doing) failed unexpectedly", underlying: error)
        }
    }
}
