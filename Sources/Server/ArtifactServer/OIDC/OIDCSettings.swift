public import ArtifactControlPlane

/// The checked OpenID settings the server signs people in with (docs/identity.md).
///
/// Exists as the one value the sign-in code reads; ``OIDCConfiguration/settings()`` makes it.
/// Its `description` never shows the client secret.
public struct OIDCSettings: Sendable, CustomStringConvertible {
    public var issuer: String
    public var clientID: String
    var clientSecret: String?
    public var deviceClientID: String?
    public var deviceAuthorizationURL: String?
    public var redirectBase: String?
    public var scopes: [String]
    public var rules: [DirectoryRule]
    public var groupsClaim: String
    public var providerName: String
    /// How long a store token minted at a sign-in lives (the web session's own lifetime).
    public var tokenLifetime: Duration = WebSessions.defaultLifetime

    /// The audiences an ID token may name: the web client and the CLI's.
    var audiences: [String] { [clientID] + (deviceClientID.map { [$0] } ?? []) }

    /// The UI's callback, `nil` without ``redirectBase``.
    var redirectURI: String? { redirectBase.map { "\($0)/ui/oidc/callback" } }

    public var description: String {
        "OIDCSettings(issuer: \(issuer), clientID: \(clientID), secret: \(clientSecret == nil ? "none" : "set"), rules: \(rules.count))"
    }
}
