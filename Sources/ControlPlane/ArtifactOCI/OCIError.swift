import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactStoreCore

/// A refusal of the OCI distribution API, with the spec's error code and HTTP status.
///
/// Exists because OCI clients act on the spec's codes (`BLOB_UNKNOWN`, `DIGEST_INVALID`, …) in
/// the body `{"errors":[{"code","message","detail"}]}`, not on the `/v1` codes; every failure of
/// a `/v2` operation is one of these (control-plane and data-plane errors are mapped by
/// ``init(mapping:)``, keeping the original as ``underlying``).
public struct OCIError: ArtifactStoreError {
    /// The error codes of distribution-spec v1.1 ("Error Codes"), plus `RANGE_INVALID` for an
    /// out-of-order chunk (416) and `UNKNOWN` for server failures.
    public enum Code: String, Sendable, Hashable, CaseIterable {
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
        /// A stored blob is damaged (a server-side fault, 500): the same code as on `/v1`, so
        /// damage is told apart from a client's mistake on both APIs.
        case objectCorrupt = "objectCorrupt"
        case unknown = "UNKNOWN"
    }

    public let kind: Code
    public let message: String
    /// The HTTP status the spec gives this refusal.
    public let status: Int
    /// For `RANGE_INVALID`: the bytes the session holds, so the answer can carry `Range`.
    public let receivedBytes: UInt64?
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, status: Int? = nil, receivedBytes: UInt64? = nil, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.status = status ?? Self.defaultStatus(kind)
        self.receivedBytes = receivedBytes
        self.underlying = underlying
    }

    static func defaultStatus(_ kind: Code) -> Int {
        switch kind {
        case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown: 404
        case .blobUploadInvalid, .digestInvalid, .manifestBlobUnknown, .manifestInvalid, .nameInvalid, .sizeInvalid, .paginationNumberInvalid,
            .unsupported:
            400
        case .unauthorized: 401
        case .denied: 403
        case .tooManyRequests: 429
        case .rangeInvalid: 416
        case .unknown, .objectCorrupt: 500
        }
    }

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
                case .unauthenticated, .tokenExpired, .tokenRevoked: .unauthorized
                case .forbidden, .immutableTag, .versionHeld: .denied
                case .invalidName, .invalidPath: .nameInvalid
                case .invalidManifest: .manifestInvalid
                case .invalidDigest: .digestInvalid
                case .invalidPageRequest: .paginationNumberInvalid
                case .namespaceNotFound, .artifactNotFound: .nameUnknown
                case .versionNotFound, .tagNotFound, .fileNotFound: .manifestUnknown
                case .blobNotFound: .blobUnknown
                case .blobNotLinked: .manifestBlobUnknown
                case .blobCollected: .blobUploadInvalid
                case .namespaceExists, .versionExists, .holdExists, .policyExists, .holdNotFound, .policyNotFound, .tokenNotFound, .invalidPolicy,
                    .invalidToken:
                    .unsupported
                case .databaseUnavailable, .databaseTooNew, .database, .dataPlane: .unknown
                // Backup and restore are CLI operations; no OCI route meets them.
                case .backupDestinationNotEmpty, .restoreDestinationNotEmpty, .backupInvalid, .backupObjectCorrupt, .backupUnsupported:
                    .unknown
                }
            let status: Int? = kind == .unknown && error.kind == .databaseUnavailable ? 503 : nil
            self.init(kind, kind == .unknown ? "the server failed (\(error.code)); see the server log" : error.message, status: status, underlying: error)
        case let error as DataPlaneError:
            switch error.kind {
            case .digestMismatch: self.init(.digestInvalid, error.message, underlying: error)
            case .sizeMismatch, .sizeLimitExceeded: self.init(.sizeInvalid, error.message, underlying: error)
            case .rangeNotSatisfiable: self.init(.rangeInvalid, error.message, underlying: error)
            case .invalidRange, .streamFailed: self.init(.blobUploadInvalid, error.message, underlying: error)
            case .objectNotFound: self.init(.blobUnknown, error.message, underlying: error)
            case .objectCorrupt: self.init(.objectCorrupt, error.message, underlying: error)
            case .rangeUnverifiable: self.init(.unsupported, error.message, status: 501, underlying: error)
            case .backendUnavailable, .dataPlaneUnavailable: self.init(.unknown, "the data plane is unavailable (\(error.code))", status: 503, underlying: error)
            case .unknownBackend, .invalidConfiguration, .cancelled, .storage: self.init(.unknown, "the data plane failed (\(error.code)); see the server log", underlying: error)
            }
        default:
            self.init(.unknown, "the server failed; see the server log", underlying: error)
        }
    }
}
