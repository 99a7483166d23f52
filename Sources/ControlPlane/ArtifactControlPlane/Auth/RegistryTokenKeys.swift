import Crypto
import Foundation
import JWTKit
import SQLKit
import Synchronization

/// The HMAC-SHA256 keys that sign registry bearer JWTs, read once from `registry_token_keys` and
/// kept for the life of the process.
///
/// Exists so every server sharing a database signs and verifies with the same key without a
/// key file to distribute: the first server to need a key inserts one (id `k1`, 32 random bytes)
/// and every other reads it. The keys never leave this type: not in a log, an error or an
/// audit record. Anyone who can read the database can mint JWTs, just as anyone who can write
/// it can mint store tokens; back-ups of the database are secrets (docs/oci.md).
final class RegistryTokenKeys: Sendable {
    /// The algorithm every JWT must name; any other (`none` included) is refused before the
    /// signature is looked at.
    static let algorithm = "HS256"
    /// The id of the key the first server inserts.
    static let firstKeyID = "k1"

    struct Loaded: Sendable {
        let signingID: String
        let ids: Set<String>
        let collection: JWTKeyCollection
    }

    private let loaded = Mutex<Loaded?>(nil)

    /// The keys, loading (and on an empty table creating) them on first use.
    func keys(_ controlPlane: ControlPlane) async throws(ControlPlaneError) -> Loaded {
        if let loaded = loaded.withLock({ $0 }) { return loaded }
        let now = controlPlane.nowMilliseconds()
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        let rows = try await controlPlane.mutate("loading the registry token keys") { db -> [(String, String)] in
            try await db.raw(
                """
                INSERT INTO registry_token_keys (id, algorithm, secret, created_at)
                VALUES (\(bind: Self.firstKeyID), \(bind: Self.algorithm), \(bind: secret), \(bind: now))
                ON CONFLICT (id) DO NOTHING
                """
            ).run()
            return try await db.raw(
                "SELECT id, secret FROM registry_token_keys WHERE algorithm = \(bind: Self.algorithm) ORDER BY created_at, id"
            )
            .all().map { row in (try row.string("id"), try row.string("secret")) }
        }
        let collection = JWTKeyCollection()
        var ids: Set<String> = []
        for (id, text) in rows {
            guard let bytes = Data(base64Encoded: text), bytes.count >= 32 else {
                throw ControlPlaneError(.database, "registry token key \"\(id)\" in the database is not base64 of at least 32 bytes")
            }
            await collection.add(hmac: HMACKey(from: bytes), digestAlgorithm: .sha256, kid: JWKIdentifier(string: id))
            ids.insert(id)
        }
        guard let signingID = rows.last?.0 else { throw ControlPlaneError(.database, "the database holds no registry token key") }
        let fresh = Loaded(signingID: signingID, ids: ids, collection: collection)
        return loaded.withLock { current in
            if let current { return current }
            current = fresh
            return fresh
        }
    }
}
