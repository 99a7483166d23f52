import ArtifactStoreAPI

/// The credentials an operator gives for a remote registry (a proxy namespace's upstream, a
/// replication rule's remote), checked once for both.
///
/// Exists so every remote's user name and password obey the same rules: both or neither; a user
/// name of visible characters without `:` (it goes into HTTP Basic); a password without control
/// characters (it must not break a header), bounded. The password is never quoted.
package enum RemoteCredentials {
    /// `(user, password)` when both are given and well formed, `(nil, nil)` when neither is.
    /// - Throws: `code` saying what is wrong.
    package static func checked(
        _ user: String?,
        _ password: String?,
        maximumPasswordLength: Int,
        code: ControlPlaneError.Code
    ) throws(ControlPlaneError) -> (String?, String?) {
        switch (user, password) {
        case (nil, nil):
            return (nil, nil)
        case (let user?, let password?):
            guard !user.isEmpty, user.count <= 256, !user.contains(":"), NameGrammar.invisibleCharacter(in: user) == nil else {
                throw ControlPlaneError(code, "username \"\(NameGrammar.printable(user))\" must be 1 to 256 visible characters without ':'")
            }
            guard !password.isEmpty, password.count <= maximumPasswordLength,
                !password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw ControlPlaneError(code, "the password must be 1 to \(maximumPasswordLength) characters without control characters")
            }
            return (user, password)
        default:
            throw ControlPlaneError(code, "username and password go together: give both or neither")
        }
    }
}
