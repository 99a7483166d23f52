public import ArtifactIdentity
import ArtifactStoreAPI
public import Foundation
import SQLKit

/// Server-side sessions of the web UI (docs/ui.md): a browser signs in once with a token and
/// then carries only a random session id in an `HttpOnly` cookie.
///
/// Exists so the token never has to live in the browser (no `localStorage`, no URL) while the
/// UI still acts with exactly the token's scopes. It promises:
/// - neither secret is stored: a row keeps the SHA-256 of the session id and the SHA-256 of the
///   token (the hash `tokens` already keeps), so a stolen database opens no session;
/// - a session ends at its own expiry (``lifetime`` after sign-in, never later than its token's
///   expiry), at sign-out, and whenever its token is revoked or expires (every request is
///   authorised through ``Auth`` by the token's hash);
/// - an unknown, malformed or expired session id is simply no session (`nil`), never an error;
/// - sign-in and sign-out are audited (`ui.signin`, `ui.signout`); a refused sign-in is audited
///   by ``Auth`` like any refused token.
public struct WebSessions: Sendable {
    let controlPlane: ControlPlane
    /// How long a session lives after sign-in.
    public let lifetime: Duration

    /// Eight hours: a working day, after which the UI asks for the token again.
    public static let defaultLifetime: Duration = .seconds(8 * 3600)

    public init(controlPlane: ControlPlane, lifetime: Duration = defaultLifetime) {
        self.controlPlane = controlPlane
        self.lifetime = lifetime
    }

    /// A session just opened: the only time its id is seen.
    public struct Opened: Sendable, Hashable {
        /// The cookie value: 64 lowercase hex digits from the system's random generator.
        public var id: String
        public var principal: Principal
        public var expiresAt: Date
    }

    /// A live session, as a request finds it.
    public struct Found: Sendable, Hashable {
        /// The SHA-256 of the token the session signed in with; ``Auth`` authorises by it.
        public var tokenHash: String
        public var tokenID: String
        public var expiresAt: Date
    }

    /// Checks `token` (refusals audited by ``Auth``) and opens a session for it; sessions past
    /// their expiry are removed on the way.
    ///
    /// - Throws: `unauthenticated`, `tokenExpired` or `tokenRevoked`; nothing is stored.
    public func signIn(token: String, context: RequestContext) async throws(ControlPlaneError) -> Opened {
        let principal = try await controlPlane.auth.authenticate(token: token, context: context)
        let id = Self.newID()
        let tokenHash = Auth.hash(token)
        let now = controlPlane.nowMilliseconds()
        let ownExpiry = now + lifetime.milliseconds
        let audited = RequestContext(actor: principal.actor, requestID: context.requestID, clientAddress: context.clientAddress)
        let expiry = try await controlPlane.mutate("opening a web UI session") { db -> Int64 in
            try await db.raw("DELETE FROM web_sessions WHERE expires_at <= \(bind: now)").run()
            let tokenExpiry = try await db.raw("SELECT expires_at FROM tokens WHERE secret_hash = \(bind: tokenHash)")
                .first()?.optionalInt("expires_at")
            let expiry = min(ownExpiry, tokenExpiry ?? ownExpiry)
            try await db.raw(
                """
                INSERT INTO web_sessions (id_hash, token_hash, token_id, created_at, expires_at)
                VALUES (\(bind: Self.hash(id)), \(bind: tokenHash), \(bind: principal.tokenID), \(bind: now), \(bind: expiry))
                """
            ).run()
            try await AuditLog.append(
                AuditEvent(action: "ui.signin", namespace: nil, target: "token:\(principal.tokenID)"),
                context: audited,
                at: now,
                in: db
            )
            return expiry
        }
        return Opened(id: id, principal: principal, expiresAt: Date(milliseconds: expiry))
    }

    /// The live session with id `id`; `nil` when the id is malformed, unknown or expired.
    public func find(_ id: String) async throws(ControlPlaneError) -> Found? {
        guard Self.isWellFormed(id) else { return nil }
        let idHash = Self.hash(id)
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.query("looking up a web UI session") { db in
            guard
                let row = try await db.raw("SELECT token_hash, token_id, expires_at FROM web_sessions WHERE id_hash = \(bind: idHash)")
                    .first(),
                try row.int("expires_at") > now
            else { return nil }
            return Found(
                tokenHash: try row.string("token_hash"),
                tokenID: try row.string("token_id"),
                expiresAt: Date(milliseconds: try row.int("expires_at"))
            )
        }
    }

    /// Ends the session with id `id` (signing out). Ending an unknown session does nothing.
    public func signOut(_ id: String, context: RequestContext) async throws(ControlPlaneError) {
        guard Self.isWellFormed(id) else { return }
        let idHash = Self.hash(id)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("ending a web UI session") { db in
            guard let row = try await db.raw("SELECT token_id FROM web_sessions WHERE id_hash = \(bind: idHash)").first() else { return }
            let tokenID = try row.string("token_id")
            try await db.raw("DELETE FROM web_sessions WHERE id_hash = \(bind: idHash)").run()
            let audited = RequestContext(actor: "token:\(tokenID)", requestID: context.requestID, clientAddress: context.clientAddress)
            try await AuditLog.append(
                AuditEvent(action: "ui.signout", namespace: nil, target: "token:\(tokenID)"),
                context: audited,
                at: now,
                in: db
            )
        }
    }

    /// Audits a request of session `found` refused for want of its CSRF token, as ``Auth``
    /// audits every refusal (`auth.denied`, outcome `denied`); `method` and `path` name what
    /// was refused (the path escaped and cut short).
    public func auditCSRFRefusal(_ found: Found, method: String, path: String, context: RequestContext) async throws(ControlPlaneError) {
        let audited = RequestContext(actor: "token:\(found.tokenID)", requestID: context.requestID, clientAddress: context.clientAddress)
        let event = AuditEvent(
            action: "auth.denied",
            namespace: nil,
            target: "\(method) \(NameGrammar.printable(path))",
            outcome: .denied,
            detail: "csrf: a web UI session request that changes something came without the session's X-CSRF-Token"
        )
        try await controlPlane.audit.appendAlone(event, context: audited)
    }

    /// The CSRF token of session `id`: bound to the session (derived from its secret id with a
    /// label of its own), so a page of another site, which cannot read the `HttpOnly` cookie
    /// nor this value, cannot produce it.
    public static func csrfToken(for id: String) -> String {
        Digest.sha256(of: "artifactstore-ui-csrf:\(id)".utf8).hex
    }

    /// Whether `presented` is the CSRF token of session `id`, compared in constant time.
    public static func checkCSRF(_ presented: String?, sessionID id: String) -> Bool {
        guard let presented else { return false }
        let expected = Array(csrfToken(for: id).utf8)
        let given = Array(presented.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// 64 lowercase hex digits: the only form ``newID()`` makes.
    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static func hash(_ id: String) -> String {
        Digest.sha256(of: id.utf8).hex
    }
}
