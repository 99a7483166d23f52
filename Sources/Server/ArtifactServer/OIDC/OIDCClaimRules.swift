import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation

/// The claim rules (`oidcClaimRules`): `<scope>:<namespace|*>=group:<name>`,
/// `…=email-domain:<domain>` or `…=email:<address>`.
///
/// Exists so OIDC identities get grants the way directory users do: the rules are
/// ``DirectoryRule``s (the LDAP group rules' type and parser) whose subject is a claim, and an
/// identity's grants are ``DirectoryRule/grants(for:in:)`` of its ``OIDCIdentity/subjects``.
enum OIDCClaimRules {
    static let kinds = ["group:", "email-domain:", "email:"]

    /// - Throws: ``ServerConfigurationError`` for `oidcClaimRules`, naming the rule.
    static func parse(_ texts: [String]) throws(ServerConfigurationError) -> [DirectoryRule] {
        var rules: [DirectoryRule] = []
        for text in texts {
            let rule: DirectoryRule
            do {
                rule = try DirectoryRule(parsing: text)
            } catch {
                throw ServerConfigurationError(key: "oidcClaimRules", error.message.replacingOccurrences(of: "<group DN>", with: "<claim>"))
            }
            guard let kind = kinds.first(where: { rule.group.hasPrefix($0) }), rule.group.count > kind.count else {
                throw ServerConfigurationError(
                    key: "oidcClaimRules",
                    "rule \"\(NameGrammar.printable(text))\" must end in =group:<name>, =email-domain:<domain> or =email:<address>"
                )
            }
            rules.append(rule)
        }
        return rules
    }
}
