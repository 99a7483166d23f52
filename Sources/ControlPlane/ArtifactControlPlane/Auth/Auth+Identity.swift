public import ArtifactStoreAPI
import Foundation

// Store tokens for identities an identity provider vouched for (docs/identity.md).
extension Auth {
    /// Mints a store token, named `oidc-signin`, for `actor` (`oidc:<identity>`) with `grants`,
    /// living `lifetime`. The token's creator is `actor`, so every audit record of what is done
    /// with it names the identity (``Auth/actor(of:)``). Without grants nothing is minted: the
    /// refusal is audited (`auth.denied`, the claimed identity as actor) and thrown.
    ///
    /// - Throws: `forbidden` when no rule grants anything.
    public func issue(
        forIdentity actor: String,
        grants: [Grant],
        lifetime: Duration,
        context: RequestContext
    ) async throws(ControlPlaneError) -> IssuedToken {
        let acting = RequestContext(actor: actor, requestID: context.requestID, clientAddress: context.clientAddress)
        guard !grants.isEmpty else {
            try await auditIdentityRefusal(actor, reason: "no claim rule grants this identity anything", context: context)
            throw ControlPlaneError(
                .forbidden,
                "\(actor) signed in at the provider, but no claim rule grants it anything; ask an administrator for an oidcClaimRules entry"
            )
        }
        let expiry = controlPlane.clock().addingTimeInterval(Double(lifetime.components.seconds))
        return try await createToken(name: "oidc-signin", grants: grants, expiresAt: expiry, context: acting)
    }

    /// Audits a refused sign-in (`auth.denied`, outcome `denied`, target `oidc.signin`) with the
    /// identity that was claimed as actor and `reason` (which must hold no secret).
    public func auditIdentityRefusal(_ claimed: String, reason: String, context: RequestContext) async throws(ControlPlaneError) {
        let acting = RequestContext(actor: claimed, requestID: context.requestID, clientAddress: context.clientAddress)
        let event = AuditEvent(action: "auth.denied", namespace: nil, target: "oidc.signin", outcome: .denied, detail: reason)
        try await controlPlane.audit.appendAlone(event, context: acting)
    }
}
