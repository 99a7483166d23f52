public import ArtifactControlPlane
import ArtifactLDAP

extension ServerConfiguration {
    /// The directory the control plane checks Basic credentials against, `nil` without `ldapURL`.
    ///
    /// - Throws: ``ServerConfigurationError`` naming the key: a malformed URL, a bind DN without
    ///   `{user}`, a malformed group rule, or LDAP keys without `ldapURL`.
    public func directorySettings() throws(ServerConfigurationError) -> DirectorySettings? {
        guard let ldapURL else {
            if ldapBindDN != nil || ldapGroupBase != nil || !ldapGroupRules.isEmpty {
                throw ServerConfigurationError(key: "ldapURL", "the LDAP keys are set but ldapURL is not; give ldap://host:port")
            }
            return nil
        }
        let address: (host: String, port: Int)
        do {
            address = try LDAPConfiguration.parseURL(ldapURL)
        } catch {
            throw ServerConfigurationError(key: "ldapURL", error.message)
        }
        guard let bindDN = ldapBindDN, bindDN.contains("{user}") else {
            throw ServerConfigurationError(
                key: "ldapBindDN",
                "give the users' bind DN with {user} in it, e.g. uid={user},ou=people,dc=example,dc=org"
            )
        }
        var rules: [DirectoryRule] = []
        for text in ldapGroupRules {
            do {
                rules.append(try DirectoryRule(parsing: text))
            } catch {
                throw ServerConfigurationError(key: "ldapGroupRules", error.message)
            }
        }
        let client = LDAPClient(
            configuration: LDAPConfiguration(
                host: address.host,
                port: address.port,
                bindDNTemplate: bindDN,
                groupBase: ldapGroupBase,
                groupMemberAttribute: ldapGroupAttribute,
                timeout: ldapTimeout
            )
        )
        return DirectorySettings(authenticator: LDAPDirectory(client: client), rules: rules)
    }
}

/// The control plane's ``DirectoryAuthenticator`` over ``LDAPClient``: a refused bind is
/// `refused`, anything else `unavailable`.
struct LDAPDirectory: DirectoryAuthenticator {
    let client: LDAPClient

    func groups(user: String, password: String) async throws(DirectoryFailure) -> [String] {
        do {
            return try await client.authenticate(user: user, password: password)
        } catch {
            if error.kind == .invalidCredentials { throw .refused(error.message) }
            throw .unavailable(error.message)
        }
    }
}
