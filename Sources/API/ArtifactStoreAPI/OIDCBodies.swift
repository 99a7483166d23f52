/// `GET /v1/auth/oidc`: the OpenID provider a client signs in at with the device grant
/// (docs/identity.md). Only public values: no secret.
public struct OIDCClientConfigurationBody: Codable, Sendable, Hashable {
    public var issuer: String
    public var providerName: String
    /// The (public) client the CLI uses for the device authorization grant.
    public var clientID: String
    /// `nil` when the provider names none and none is configured: no device sign-in.
    public var deviceAuthorizationEndpoint: String?
    public var tokenEndpoint: String
    public var scopes: [String]

    public init(
        issuer: String,
        providerName: String,
        clientID: String,
        deviceAuthorizationEndpoint: String?,
        tokenEndpoint: String,
        scopes: [String]
    ) {
        self.issuer = issuer
        self.providerName = providerName
        self.clientID = clientID
        self.deviceAuthorizationEndpoint = deviceAuthorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.scopes = scopes
    }
}

/// `POST /v1/auth/oidc/token`: the provider's proof of who the caller is; an ID token is
/// verified against the provider's keys, an access token (when no ID token is given) by the
/// provider's userinfo endpoint. The answer is an ``IssuedTokenBody``.
public struct OIDCTokenExchangeBody: Codable, Sendable, Hashable {
    public var idToken: String?
    public var accessToken: String?

    public init(idToken: String? = nil, accessToken: String? = nil) {
        self.idToken = idToken
        self.accessToken = accessToken
    }
}
