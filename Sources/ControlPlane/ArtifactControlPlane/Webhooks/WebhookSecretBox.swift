import Crypto
import Foundation

/// Seals webhook secrets for storage: AES-GCM under a key derived (HKDF-SHA256) from the audit
/// key named by the row (docs/webhooks.md, "Secrets").
///
/// Exists because the server needs the secret itself to sign each delivery (a hash would not
/// do), and a database dump or backup must not hand it out: the database holds only the sealed
/// bytes and the audit key id; the key lives in the audit key file, which the database does not
/// hold. Rotating the audit key keeps old keys, so old secrets still open.
///
/// Replication passwords are sealed the same way under their own derived key (``replication``).
package struct WebhookSecretBox: Sendable {
    let keys: AuditKeyring
    /// The HKDF purpose: one derived key per kind of secret.
    var purpose = "artifactstore webhook secret v1"
    /// What the secret is, in messages.
    var what = "webhook secret"

    /// The box of replication passwords.
    static func replication(_ keys: AuditKeyring) -> WebhookSecretBox {
        WebhookSecretBox(keys: keys, purpose: "artifactstore replication password v1", what: "replication password")
    }

    /// `(key id, base64 of nonce ‖ ciphertext ‖ tag)` of `secret` under the active key.
    func seal(_ secret: [UInt8]) throws -> (keyID: String, sealed: String) {
        guard let key = keys.derivedKey(purpose: purpose, keyID: keys.activeID) else {
            throw ControlPlaneError(.internalError, "the active audit key is missing")
        }
        let box = try AES.GCM.seal(secret, using: SymmetricKey(data: key))
        guard let combined = box.combined else { throw ControlPlaneError(.internalError, "sealing a \(what) failed") }
        return (keys.activeID, combined.base64EncodedString())
    }

    /// The secret of a stored row. - Throws: when its key is gone or the bytes were altered.
    func open(keyID: String, sealed: String) throws -> [UInt8] {
        guard let key = keys.derivedKey(purpose: purpose, keyID: keyID) else {
            throw ControlPlaneError(.internalError, "the audit key \"\(keyID)\" that sealed a \(what) is not in the key file")
        }
        guard let data = Data(base64Encoded: sealed) else { throw ControlPlaneError(.database, "a sealed \(what) is not base64") }
        do {
            return Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: SymmetricKey(data: key)))
        } catch {
            throw ControlPlaneError(.database, "a sealed \(what) does not open under audit key \"\(keyID)\" (altered?)")
        }
    }
}
