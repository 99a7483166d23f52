/// Secrets kept in one text column (a proxy namespace's upstream password).
extension WebhookSecretBox {
    /// The prefix of a sealed text column; what follows is `<key id>:<base64>`.
    static let sealedTextPrefix = "sealed:"

    /// The box of proxy namespaces' upstream passwords.
    package static func proxy(_ keys: AuditKeyring) -> WebhookSecretBox {
        WebhookSecretBox(keys: keys, purpose: "artifactstore proxy password v1", what: "proxy password")
    }

    /// `secret` sealed under the active audit key, as `sealed:<key id>:<base64>`.
    package func sealText(_ secret: String) throws -> String {
        let (keyID, sealed) = try seal(Array(secret.utf8))
        return Self.sealedTextPrefix + keyID + ":" + sealed
    }

    /// The secret of a column ``sealText(_:)`` wrote. A column without the prefix was written
    /// before proxy passwords were sealed and is returned as it is (setting the proxy again
    /// seals it).
    ///
    /// - Throws: when the key is gone, or the sealed bytes were altered.
    package func openText(_ stored: String) throws -> String {
        guard stored.hasPrefix(Self.sealedTextPrefix) else { return stored }
        let rest = stored.dropFirst(Self.sealedTextPrefix.count)
        guard let colon = rest.firstIndex(of: ":") else {
            throw ControlPlaneError(.database, "a sealed \(what) has no key id")
        }
        let bytes = try open(keyID: String(rest[..<colon]), sealed: String(rest[rest.index(after: colon)...]))
        return String(decoding: bytes, as: UTF8.self)
    }
}
