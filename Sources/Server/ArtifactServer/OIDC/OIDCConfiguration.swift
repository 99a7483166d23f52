import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation

/// The `oidc*` configuration keys as read (docs/identity.md), before they are checked.
///
/// Exists so the keys can be loaded with the others and checked in one place
/// (``settings()``), each refusal naming its key. The client secret is read from
/// `ARTIFACTSTORE_OIDC_CLIENT_SECRET` or from the file `oidcClientSecretFile` names (a
/// secrets mount); it is never logged, and ``settings()`` never puts it in an error.
public struct OIDCConfiguration: Sendable, Hashable {
    /// The provider's issuer URL, exactly as its discovery document and ID tokens write it.
    public var issuer: String?
    /// The web UI's client (authorization code + PKCE).
    public var clientID: String?
    public var clientSecret: String?
    public var clientSecretFile: String?
    /// The CLI's (public) client for the device authorization grant; the web client when `nil`.
    public var deviceClientID: String?
    /// The provider's device authorization endpoint when its discovery document does not name one.
    public var deviceAuthorizationURL: String?
    /// Where browsers reach this server (`https://store.example.org`); the callback is
    /// `<base>/ui/oidc/callback`. Without it the UI offers no provider sign-in.
    public var redirectBase: String?
    public var scopes = ["openid", "email", "profile"]
    /// `<scope>:<namespace|*>=group:<name>` or `…=email-domain:<domain>` or `…=email:<address>`.
    public var claimRules: [String] = []
    /// The claim holding the user's groups (a string or an array of strings).
    public var groupsClaim = "groups"
    /// What the sign-in button names ("Sign in with <name>").
    public var providerName = "OpenID provider"

    public init() {}

    typealias Key = ServerConfiguration.Key

    /// Reads the keys through the loader's readers (flags, environment, file).
    static func read(
        string: (Key) async throws -> String?,
        strings: (Key) async throws -> [String]?
    ) async throws(ServerConfigurationError) -> OIDCConfiguration {
        var result = OIDCConfiguration()
        do {
            result.issuer = try await string(.oidcIssuer)
            result.clientID = try await string(.oidcClientID)
            result.clientSecret = try await string(.oidcClientSecret)
            result.clientSecretFile = try await string(.oidcClientSecretFile)
            result.deviceClientID = try await string(.oidcDeviceClientID)
            result.deviceAuthorizationURL = try await string(.oidcDeviceAuthorizationURL)
            result.redirectBase = try await string(.oidcRedirectBase)
            if let scopes = try await strings(.oidcScopes) { result.scopes = scopes }
            if let rules = try await strings(.oidcClaimRules) { result.claimRules = rules }
            if let claim = try await string(.oidcGroupsClaim) { result.groupsClaim = claim }
            if let name = try await string(.oidcProviderName) { result.providerName = name }
        } catch let error as ServerConfigurationError {
            throw error
        } catch {
            throw ServerConfigurationError(key: "oidcIssuer", "the OpenID keys could not be read", underlying: error)
        }
        _ = try result.settings()
        return result
    }

    /// The checked settings, `nil` when `oidcIssuer` is not set.
    ///
    /// - Throws: ``ServerConfigurationError`` naming the key: an issuer or URL that is not
    ///   `https` (plain `http` only to a loopback address), a missing client id, both or an
    ///   unreadable client secret, scopes without `openid`, a malformed claim rule, or OIDC keys
    ///   without `oidcIssuer`.
    public func settings() throws(ServerConfigurationError) -> OIDCSettings? {
        guard let issuer else {
            if clientID != nil || redirectBase != nil || !claimRules.isEmpty {
                throw ServerConfigurationError(
                    key: "oidcIssuer",
                    "the OpenID keys are set but oidcIssuer is not; give the provider's issuer URL"
                )
            }
            return nil
        }
        try Self.checkURL(issuer, key: .oidcIssuer)
        guard let clientID, !clientID.isEmpty, clientID.count <= 256 else {
            throw ServerConfigurationError(key: "oidcClientID", "give the client id the provider registered for this server")
        }
        if let deviceAuthorizationURL { try Self.checkURL(deviceAuthorizationURL, key: .oidcDeviceAuthorizationURL) }
        if let redirectBase { try Self.checkURL(redirectBase, key: .oidcRedirectBase) }
        guard scopes.contains("openid"), scopes.allSatisfy(Self.isScopeToken) else {
            throw ServerConfigurationError(
                key: "oidcScopes",
                "the scopes must include \"openid\" and be plain words (e.g. openid, email, groups)"
            )
        }
        guard !groupsClaim.isEmpty, groupsClaim.count <= 64 else {
            throw ServerConfigurationError(key: "oidcGroupsClaim", "give the name of the claim holding the groups, e.g. groups")
        }
        guard !providerName.isEmpty, providerName.count <= 40, NameGrammar.printable(providerName) == providerName else {
            throw ServerConfigurationError(key: "oidcProviderName", "give a short printable name (at most 40 characters)")
        }
        return OIDCSettings(
            issuer: issuer,
            clientID: clientID,
            clientSecret: try secret(),
            deviceClientID: deviceClientID,
            deviceAuthorizationURL: deviceAuthorizationURL,
            redirectBase: redirectBase.map { String($0.trimmingSuffix("/")) },
            scopes: scopes,
            rules: try OIDCClaimRules.parse(claimRules),
            groupsClaim: groupsClaim,
            providerName: providerName
        )
    }

    /// The client secret from the environment or its file (one trailing newline dropped).
    func secret() throws(ServerConfigurationError) -> String? {
        guard let clientSecretFile else { return clientSecret }
        guard clientSecret == nil else {
            throw ServerConfigurationError(
                key: "oidcClientSecretFile",
                "give the client secret either in a file or in the environment, not both"
            )
        }
        let text: String
        do {
            text = try String(contentsOfFile: clientSecretFile, encoding: .utf8)
        } catch {
            throw ServerConfigurationError(
                key: "oidcClientSecretFile",
                "cannot read the client secret file \"\(clientSecretFile)\"; check the path and its permissions"
            )
        }
        let secret = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !secret.isEmpty, !secret.contains("\n") else {
            throw ServerConfigurationError(key: "oidcClientSecretFile", "the client secret file \"\(clientSecretFile)\" must hold one line")
        }
        return secret
    }

    /// `https://…`, or `http://` to a loopback host (a provider on the same machine).
    static func checkURL(_ text: String, key: Key) throws(ServerConfigurationError) {
        guard let url = URL(string: text), let host = url.host(percentEncoded: false), !host.isEmpty,
            url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host)),
            url.query == nil, url.fragment == nil
        else {
            throw ServerConfigurationError(
                key: key.rawValue,
                "\"\(NameGrammar.printable(text))\" is not an https URL (plain http only to 127.0.0.1, ::1 or localhost)"
            )
        }
    }

    static func isScopeToken(_ scope: String) -> Bool {
        !scope.isEmpty && scope.count <= 64
            && scope.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: Character) -> Substring {
        var text = self[...]
        while text.last == suffix { text = text.dropLast() }
        return text
    }
}
