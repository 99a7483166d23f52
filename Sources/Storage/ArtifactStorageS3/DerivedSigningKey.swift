import Crypto
import Synchronization

/// The last SigV4 signing key derived, with what it was derived from.
///
/// Exists because the key changes only with the day (or the secret, region or service), while
/// deriving it takes four HMACs: about 97,000 instructions (callgrind), which every S3 request
/// and every presigned download URL paid. A request whose inputs differ from the kept ones
/// derives its key and keeps that one instead, so the answer is always the derivation's.
final class DerivedSigningKey: Sendable {
    private struct Derivation {
        var secret: String
        var date: String
        var region: String
        var service: String
        var key: SymmetricKey
    }

    private let last = Mutex<Derivation?>(nil)

    /// The signing key for these inputs (``SigV4Signer/signingKey(secret:date:region:service:)``).
    func key(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        if let kept = last.withLock({ $0 }), kept.date == date, kept.region == region, kept.service == service, kept.secret == secret {
            return kept.key
        }
        let key = SigV4Signer.signingKey(secret: secret, date: date, region: region, service: service)
        last.withLock { $0 = Derivation(secret: secret, date: date, region: region, service: service, key: key) }
        return key
    }
}
