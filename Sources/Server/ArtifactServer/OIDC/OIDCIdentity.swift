import ArtifactControlPlane
import ArtifactStoreAPI

/// Who a verified ID token or userinfo answer says the user is.
///
/// Exists so both ways in (the UI's authorization code, the CLI's device grant) turn claims into
/// the same identity, grants and audit actor. Only a verified e-mail address counts
/// (`email_verified` not `false`): an unverified one could be anyone's.
struct OIDCIdentity: Sendable, Hashable {
    var subject: String
    var email: String?
    var groups: [String]

    /// - Throws: `unauthenticated` when `sub` is missing or not a short string.
    init(claims: [String: Any], groupsClaim: String) throws(ControlPlaneError) {
        guard let subject = claims["sub"] as? String, !subject.isEmpty, subject.utf8.count <= 255 else {
            throw ControlPlaneError(.unauthenticated, "the provider's answer names no subject (sub)")
        }
        self.subject = subject
        let verified = (claims["email_verified"] as? Bool) ?? true
        if verified, let email = claims["email"] as? String, email.utf8.count <= 254, email.contains("@") {
            self.email = email.lowercased()
        }
        switch claims[groupsClaim] {
        case let list as [Any]: groups = list.compactMap { $0 as? String }.filter { $0.utf8.count <= 256 }
        case let one as String: groups = [one]
        default: groups = []
        }
    }

    /// What the claim rules match: `group:<g>` for each group, `email:<address>` and
    /// `email-domain:<domain>` for a verified e-mail address.
    var subjects: [String] {
        var result = groups.map { "group:\($0)" }
        if let email, let at = email.lastIndex(of: "@") {
            result.append("email:\(email)")
            result.append("email-domain:\(email[email.index(after: at)...])")
        }
        return result
    }

    /// The audit actor: `oidc:<e-mail>` or, without a verified e-mail, `oidc:<sub>` (made printable).
    var actor: String { "oidc:\(NameGrammar.printable(email ?? subject))" }
}
