public import ArtifactStoreAPI
import Foundation

/// Checks a user name and password against a directory (LDAP) and names the user's groups.
///
/// Exists so the control plane can accept directory identities without depending on a directory
/// client: the server passes one in (``ControlPlane/Configuration/directory``). An
/// implementation must throw ``DirectoryFailure/refused`` for wrong credentials and
/// ``DirectoryFailure/unavailable`` when the directory cannot answer, and never put the password
/// in an error.
public protocol DirectoryAuthenticator: Sendable {
    /// The DNs of the groups `user` is in, once the password is proved.
    func groups(user: String, password: String) async throws(DirectoryFailure) -> [String]
}

/// Why a directory did not vouch for a user; the message never holds the password.
public enum DirectoryFailure: Error, Sendable, Hashable {
    case refused(String)
    case unavailable(String)
}

/// A directory and the rules turning its groups into grants.
public struct DirectorySettings: Sendable {
    public var authenticator: any DirectoryAuthenticator
    public var rules: [DirectoryRule]

    public init(authenticator: any DirectoryAuthenticator, rules: [DirectoryRule]) {
        self.authenticator = authenticator
        self.rules = rules
    }

    /// The grants of a user in `groups`: every rule whose group is one of them (DNs compared
    /// without case and spaces around `,` and `=`).
    public func grants(for groups: [String]) -> [Grant] {
        DirectoryRule.grants(for: groups, in: rules)
    }
}

/// `cn=devs,ou=groups,dc=example,dc=org → write:team`: members of the group get the grant.
public struct DirectoryRule: Sendable, Hashable {
    public var group: String
    public var grant: Grant

    public init(group: String, grant: Grant) {
        self.group = group
        self.grant = grant
    }

    /// Parses `<scope>:<namespace|*>=<group DN>` (the first `=` ends the grant).
    ///
    /// - Throws: `invalidName` naming the rule.
    public init(parsing text: String) throws(ControlPlaneError) {
        guard let equals = text.firstIndex(of: "="), text.index(after: equals) != text.endIndex else {
            throw ControlPlaneError(.invalidName, "group rule \"\(NameGrammar.printable(text))\" is not <scope>:<namespace|*>=<group DN>")
        }
        let grantText = text[..<equals]
        let parts = grantText.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let scope = Scope(rawValue: String(parts[0])) else {
            throw ControlPlaneError(
                .invalidName,
                "group rule \"\(NameGrammar.printable(text))\": \"\(grantText)\" is not read|write|admin:<namespace|*>"
            )
        }
        let namespace = parts[1] == "*" ? nil : String(parts[1])
        if let namespace { try NameGrammar.validateNamespace(namespace) }
        self.init(group: String(text[text.index(after: equals)...]), grant: Grant(scope, namespace: namespace))
    }

    /// The grants of every rule in `rules` whose subject is one of `subjects` (compared as
    /// ``normalized(_:)`` makes them: without case, spaces around `,` and `=` dropped), each once.
    /// The LDAP group rules and the OIDC claim rules both grant through it.
    public static func grants(for subjects: [String], in rules: [DirectoryRule]) -> [Grant] {
        let mine = Set(subjects.map(normalized))
        var grants: [Grant] = []
        for rule in rules where mine.contains(normalized(rule.group)) && !grants.contains(rule.grant) {
            grants.append(rule.grant)
        }
        return grants
    }

    static func normalized(_ dn: String) -> String {
        dn.lowercased().split(separator: ",").map { component in
            component.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "=")
        }.joined(separator: ",")
    }
}
