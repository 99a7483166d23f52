public import ArtifactStoreCore
import Foundation

/// Where the directory is and how a user and their groups are found in it.
///
/// Exists so the server can check Basic credentials `user:password` against LDAP: bind as the DN
/// ``bindDNTemplate`` names (`{user}` replaced), then, bound as that user, search ``groupBase``
/// for entries whose ``groupMemberAttribute`` is the user's DN; the group DNs found are the
/// identity's groups.
public struct LDAPConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// `uid={user},ou=people,dc=example,dc=org`.
    public var bindDNTemplate: String
    /// Where groups are searched (the whole subtree); no search when `nil`.
    public var groupBase: String?
    /// The group attribute holding members' DNs (`member` for groupOfNames).
    public var groupMemberAttribute: String
    /// The most time one authentication (connect, bind, search, unbind) may take.
    public var timeout: Duration

    public init(
        host: String,
        port: Int = 389,
        bindDNTemplate: String,
        groupBase: String? = nil,
        groupMemberAttribute: String = "member",
        timeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.bindDNTemplate = bindDNTemplate
        self.groupBase = groupBase
        self.groupMemberAttribute = groupMemberAttribute
        self.timeout = timeout
    }

    /// Parses `ldap://host[:port]` (no TLS, no path: `ldaps` and StartTLS are not supported).
    ///
    /// - Throws: `invalidConfiguration`.
    public static func parseURL(_ text: String) throws(LDAPError) -> (host: String, port: Int) {
        guard text.hasPrefix("ldap://") else {
            throw LDAPError(.invalidConfiguration, "LDAP URL \"\(text)\" is not ldap://host[:port] (ldaps is not supported)")
        }
        var rest = Substring(text.dropFirst(7))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { throw LDAPError(.invalidConfiguration, "LDAP URL \"\(text)\" has no host") }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
                throw LDAPError(.invalidConfiguration, "LDAP URL \"\(text)\" has no valid port")
            }
            return (String(rest[..<colon]), port)
        }
        return (String(rest), 389)
    }

    /// A user name safe to put in a DN without escaping: 1–64 characters of letters, digits, `.`,
    /// `_`, `-`, `@`. Anything else is refused before the directory is asked (no DN injection).
    public static func isValidUser(_ user: String) -> Bool {
        (1...64).contains(user.utf8.count)
            && user.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || Array("._-@".utf8).contains(byte)
            }
    }

    /// The bind DN of `user` (which must be valid).
    public func bindDN(for user: String) -> String {
        bindDNTemplate.replacingOccurrences(of: "{user}", with: user)
    }
}
