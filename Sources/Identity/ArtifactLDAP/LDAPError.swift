public import ArtifactStoreCore

/// An LDAP exchange that failed: the server could not be reached or answered in time, answered
/// something malformed, or refused the bind or search.
public typealias LDAPError = LayeredError<LDAPErrorCode>

/// Stable LDAP client codes. They reach no answer as themselves: the control plane reports a
/// refused bind as `unauthenticated` and anything else as `directoryUnavailable`.
public enum LDAPErrorCode: String, ErrorCode {
    /// The bind was refused (LDAP result 49, invalidCredentials, or another refusal).
    case invalidCredentials
    /// The server could not be reached, closed the connection, or did not answer in time.
    case unreachable
    /// The server's answer is not well-formed BER/LDAP, or is over the size limits.
    case malformedResponse
    /// A search or other operation ended with a result code other than success.
    case operationFailed
    /// The directory configuration (URL, DN template, rules) cannot be used.
    case invalidConfiguration

    public static let layer = "LDAP"

    public var meaning: String {
        switch self {
        case .invalidCredentials: "The LDAP server refused the bind: wrong user or password."
        case .unreachable: "The LDAP server could not be reached, closed the connection, or did not answer in time."
        case .malformedResponse: "The LDAP server's answer is not well-formed BER, or is larger than the client's limits."
        case .operationFailed: "An LDAP search ended with a result code other than success."
        case .invalidConfiguration: "An LDAP setting (URL, bind DN template, group rule) is malformed."
        }
    }
}
