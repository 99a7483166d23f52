public import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation

/// Turns the provider's proof of identity into a store token (docs/identity.md).
///
/// Exists so the UI's callback and `POST /v1/auth/oidc/token` share one path: claims →
/// ``OIDCIdentity`` → grants by the claim rules → a token minted by ``Auth`` whose audit actor
/// is the identity. Every refusal is audited with the identity that was claimed
/// (`claimed:oidc:<sub or e-mail>`, unverified, or `anonymous`); no token is ever in a record.
public struct OIDCSignIn: Sendable {
    let provider: OIDCProvider
    let controlPlane: ControlPlane

    /// The longest ID or access token accepted (bytes).
    static let maximumTokenBytes = 16 * 1024

    public init(settings: OIDCSettings, controlPlane: ControlPlane) {
        self.provider = OIDCProvider(settings: settings, clock: controlPlane.clock)
        self.controlPlane = controlPlane
    }

    init(provider: OIDCProvider, controlPlane: ControlPlane) {
        self.provider = provider
        self.controlPlane = controlPlane
    }

    var settings: OIDCSettings { provider.settings }

    /// A token for the identity `claims` (already proved) describe.
    func issue(claims: [String: Any], context: RequestContext) async throws(ControlPlaneError) -> IssuedToken {
        let identity = try OIDCIdentity(claims: claims, groupsClaim: settings.groupsClaim)
        let grants = DirectoryRule.grants(for: identity.subjects, in: settings.rules)
        return try await controlPlane.auth.issue(
            forIdentity: identity.actor,
            grants: grants,
            lifetime: settings.tokenLifetime,
            context: context
        )
    }

    /// `POST /v1/auth/oidc/token`: an ID token (verified against the provider's keys) or else an
    /// access token (checked by the provider's userinfo endpoint) for a store token.
    ///
    /// - Throws: `badRequest`-like `invalidToken` for neither or an oversized one, `unauthenticated`
    ///   for a proof that fails, `forbidden` when no rule grants anything,
    ///   `identityProviderUnavailable`.
    func exchange(_ body: OIDCTokenExchangeBody, context: RequestContext) async throws(ControlPlaneError) -> IssuedToken {
        let given = [body.idToken, body.accessToken].compactMap { $0 }
        guard given.count == 1, let proof = given.first, !proof.isEmpty, proof.utf8.count <= Self.maximumTokenBytes else {
            throw ControlPlaneError(.invalidToken, "give exactly one of idToken and accessToken (at most 16 KiB)")
        }
        do {
            let claims =
                if let idToken = body.idToken {
                    try await provider.verify(idToken: idToken, nonce: nil)
                } else {
                    try await provider.userInfo(accessToken: proof)
                }
            return try await issue(claims: claims, context: context)
        } catch  where error.kind == .unauthenticated {
            try await controlPlane.auth.auditIdentityRefusal(Self.claimed(body.idToken), reason: error.message, context: context)
            throw error
        }
    }

    /// The unverified identity an ID token claims, for the audit record of its refusal.
    static func claimed(_ idToken: String?) -> String {
        let parts = idToken?.split(separator: ".", omittingEmptySubsequences: false) ?? []
        guard parts.count == 3, let payload = OIDCProvider.decodeSegment(parts[1]),
            let who = (payload["email"] as? String) ?? (payload["sub"] as? String), !who.isEmpty
        else { return "anonymous" }
        return "claimed:oidc:\(NameGrammar.printable(String(who.prefix(254))))"
    }

    /// What `GET /v1/auth/oidc` answers: the provider and the CLI's client, no secret.
    func clientConfiguration() async throws(ControlPlaneError) -> OIDCClientConfigurationBody {
        let endpoints = try await provider.endpoints()
        return OIDCClientConfigurationBody(
            issuer: settings.issuer,
            providerName: settings.providerName,
            clientID: settings.deviceClientID ?? settings.clientID,
            deviceAuthorizationEndpoint: endpoints.deviceAuthorization,
            tokenEndpoint: endpoints.token,
            scopes: settings.scopes
        )
    }
}
