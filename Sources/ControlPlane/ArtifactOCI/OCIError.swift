public import ArtifactControlPlane
import ArtifactDataPlane
// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// A refusal of the OCI distribution API, with the spec's error code and HTTP status.
///
/// Exists because OCI clients act on the spec's codes (`BLOB_UNKNOWN`, `DIGEST_INVALID`, …) in
/// the body `{"errors":[{"code","message","detail"}]}`, not on the `/v1` codes; every failure of
/// a `/v2` operation is one of these (control-plane and data-plane errors are mapped by
/// ``init(mapping:)``, keeping the original as ``underlying``).
public typealias OCIError = LayeredError<OCIErrorCode>

/// The error codes of distribution-spec v1.1 ("Error Codes"), plus `RANGE_INVALID` for an
/// out-of-order chunk (416) and `UNKNOWN` for server failures. The CLI does not speak `/v2`, so
/// no code has an exit status.
public enum OCIErrorCode: String, ErrorCode {
    case blobUnknown = "BLOB_UNKNOWN"
    case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
    case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
    case digestInvalid = "DIGEST_INVALID"
    case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
    case manifestInvalid = "MANIFEST_INVALID"
    case manifestUnknown = "MANIFEST_UNKNOWN"
    case nameInvalid = "NAME_INVALID"
    case nameUnknown = "NAME_UNKNOWN"
    case sizeInvalid = "SIZE_INVALID"
    case unauthorized = "UNAUTHORIZED"
    case denied = "DENIED"
    case unsupported = "UNSUPPORTED"
    case tooManyRequests = "TOOMANYREQUESTS"
    case rangeInvalid = "RANGE_INVALID"
    case paginationNumberInvalid = "PAGINATION_NUMBER_INVALID"
    case objectCorrupt = "objectCorrupt"
    case unknown = "UNKNOWN"

    public typealias Details = OCIErrorDetails

    public static let layer = "OCI"

    public var meaning: String {
        switch self {
        case .blobUnknown: "The blob is not known to the repository."
        case .blobUploadInvalid: "The blob upload is invalid (a bad chunk, a stream that failed, bytes collected mid-push)."
        case .blobUploadUnknown: "No such upload session."
        case .digestInvalid: "The digest does not parse, or the bytes do not have it."
        case .manifestBlobUnknown: "The manifest names a blob the repository does not have."
        case .manifestInvalid: "The manifest is malformed or breaks a limit."
        case .manifestUnknown: "No such manifest (tag or digest)."
        case .nameInvalid: "The repository name breaks the grammar."
        case .nameUnknown: "No such repository."
        case .sizeInvalid: "The content does not have the size given."
        case .unauthorized: "No credentials, or credentials that are not valid (`WWW-Authenticate` says how to log in)."
        case .denied: "The credentials lack the access, or the tag or version may not be changed."
        case .unsupported: "The operation is not supported here."
        case .tooManyRequests: "Too many requests."
        case .rangeInvalid: "A chunk does not start where the session ends (`Range` says what the session holds)."
        case .paginationNumberInvalid: "The page size `n` is not acceptable."
        case .objectCorrupt:
            "A stored blob is damaged (a server-side fault): the same code as on `/v1`, so damage is told apart from a client's "
                + "mistake on both APIs."
        case .unknown: "The server failed; the server log has the cause (503 when the database or the data plane is unavailable)."
        }
    }

    /// The status the spec gives the code; one refusal may answer with another (``OCIError/status``).
    public var httpStatus: Int? {
        switch self {
        case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown: 404
        case .blobUploadInvalid, .digestInvalid, .manifestBlobUnknown, .manifestInvalid, .nameInvalid, .sizeInvalid,
            .paginationNumberInvalid,
            .unsupported:
            400
        case .unauthorized: 401
        case .denied: 403
        case .tooManyRequests: 429
        case .rangeInvalid: 416
        case .unknown, .objectCorrupt: 500
        }
    }

    public var exitStatus: ExitStatus? { nil }
}

/// What an ``OCIError`` adds: the status of this refusal and, for `RANGE_INVALID`, the bytes held.
public struct OCIErrorDetails: Sendable, Hashable {
    /// The HTTP status of this refusal (the code's own unless the refusal says otherwise).
    public var status: Int
    /// For `RANGE_INVALID`: the bytes the session holds, so the answer can carry `Range`.
    public var receivedBytes: UInt64?
}

extension OCIError {
    public init(_ kind: OCIErrorCode, _ message: String, status: Int? = nil, receivedBytes: UInt64? = nil, underlying: (any Error)? = nil) {
        let details = OCIErrorDetails(status: status ?? kind.httpStatus ?? 500, receivedBytes: receivedBytes)
        self.init(kind, message, details: details, underlying: underlying)
    }

    /// The HTTP status the spec gives this refusal.
    public var status: Int { details.status }

    /// For `RANGE_INVALID`: the bytes the session holds, so the answer can carry `Range`.
    public var receivedBytes: UInt64? { details.receivedBytes }

    /// The OCI refusal for any error an operation met: OCI errors as they are, control-plane
    /// and data-plane codes onto the spec's (docs/oci.md, "Errors"), anything else `UNKNOWN`.
    public init(mapping error: any Error) {
        switch error {
        case let error as OCIError:
            self = error
        case let error as ControlPlaneError:
            if error.kind == .dataPlane, let inner = error.underlying as? DataPlaneError {
                self.init(mapping: inner)
                return
            }
            let kind: Code =
                switch error.kind {
                case .unauthenticated, .tokenExpired, .tokenRevoked, .registryTokenInvalid, .registryTokenExpired, .registryTokenAudience:
                    .unauthorized
                case .forbidden, .immutableTag, .versionHeld, .quotaExceeded: .denied
                case .invalidName, .invalidPath, .invalidRegistryScope: .nameInvalid
                case .invalidManifest: .manifestInvalid
                case .invalidDigest: .digestInvalid
                case .invalidPageRequest: .paginationNumberInvalid
                case .namespaceNotFound, .artifactNotFound: .nameUnknown
                case .versionNotFound, .tagNotFound, .fileNotFound: .manifestUnknown
                case .blobNotFound: .blobUnknown
                case .blobNotLinked: .manifestBlobUnknown
                case .blobCollected: .blobUploadInvalid
                case .namespaceExists, .versionExists, .holdExists, .policyExists, .holdNotFound, .policyNotFound, .tokenNotFound,
                    .invalidPolicy,
                    .invalidToken, .invalidWebhook, .webhookAddressRefused, .webhookNotFound, .invalidProxy, .proxyNotFound, .invalidQuota,
                    .invalidReplication, .replicationNotFound, .replicationExists:
                    .unsupported
                case .databaseUnavailable, .directoryUnavailable, .identityProviderUnavailable,
                    .databaseTooNew, .database, .dataPlane, .internalError, .auditRecordMalformed,
                    .backupDestinationNotEmpty, .restoreDestinationNotEmpty, .backupInvalid, .backupObjectCorrupt, .backupUnsupported:
                    .unknown
                }
            let status: Int? = kind == .unknown && (error.kind == .databaseUnavailable || error.kind == .directoryUnavailable) ? 503 : nil
            let message = error.kind == .directoryUnavailable ? error.message : "the server failed (\(error.code)); see the server log"
            self.init(kind, kind == .unknown ? message : error.message, status: status, underlying: error)
        case let error as DataPlaneError:
            switch error.kind {
            case .digestMismatch: self.init(.digestInvalid, error.message, underlying: error)
            case .sizeMismatch, .sizeLimitExceeded: self.init(.sizeInvalid, error.message, underlying: error)
            case .rangeNotSatisfiable: self.init(.rangeInvalid, error.message, underlying: error)
            case .invalidRange, .streamFailed: self.init(.blobUploadInvalid, error.message, underlying: error)
            case .objectNotFound: self.init(.blobUnknown, error.message, underlying: error)
            case .objectCorrupt: self.init(.objectCorrupt, error.message, underlying: error)
            case .rangeUnverifiable: self.init(.unsupported, error.message, status: 501, underlying: error)
            case .backendUnavailable, .dataPlaneUnavailable:
                self.init(.unknown, "the data plane is unavailable (\(error.code))", status: 503, underlying: error)
            case .unknownBackend, .invalidConfiguration, .cancelled, .storage:
                self.init(.unknown, "the data plane failed (\(error.code)); see the server log", underlying: error)
            }
        default:
            self.init(.unknown, "the server failed; see the server log", underlying: error)
        }
    }
}
