/// The codes a `/v1` answer can carry in its ``ErrorBody`` (`{"error":{"code","message"}}`): part of the contract.
///
/// Exists so the client and the CLI act on typed codes (`tagNotFound`, `digestMismatch`, …), not
/// on strings. The codes are the control plane's, the data plane's and the HTTP layer's; what
/// each means, its status and its exit status are in docs/errors.md under that layer. A test
/// checks this list against the server's codes in both directions.
public enum APIErrorCode: String, Sendable, Hashable, CaseIterable {
    // control plane
    case invalidName, invalidPath, invalidManifest, invalidDigest, invalidPageRequest, invalidPolicy, namespaceNotFound
    case namespaceExists, artifactNotFound, versionNotFound, fileNotFound, tagNotFound, versionExists, immutableTag, versionHeld
    case holdExists, holdNotFound, policyNotFound, policyExists, blobNotFound, blobNotLinked, blobCollected, unauthenticated
    case tokenExpired, tokenRevoked, forbidden, tokenNotFound, invalidToken, databaseTooNew, databaseUnavailable, database, dataPlane
    case auditRecordMalformed, internalError, invalidWebhook, webhookAddressRefused, webhookNotFound
    case registryTokenInvalid, registryTokenExpired, registryTokenAudience, invalidRegistryScope, directoryUnavailable
    case identityProviderUnavailable
    case invalidProxy, proxyNotFound, quotaExceeded, invalidQuota, invalidReplication, replicationNotFound, replicationExists
    // data plane
    case invalidConfiguration, unknownBackend, backendUnavailable, objectNotFound, invalidRange, rangeNotSatisfiable, digestMismatch
    case sizeMismatch, sizeLimitExceeded, streamFailed, cancelled, storage, dataPlaneUnavailable, objectCorrupt, rangeUnverifiable
    // HTTP API
    case badRequest, notFound, methodNotAllowed, payloadTooLarge, unsupportedMediaType, invalidRequestID, unsupportedTransferCoding
    case tooManyConnections

    /// Bytes did not match their digest or size: an integrity failure (exit 6), whatever the status.
    public var isIntegrityFailure: Bool { self == .digestMismatch || self == .sizeMismatch }
}
