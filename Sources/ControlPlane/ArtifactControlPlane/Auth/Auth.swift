public import ArtifactIdentity
public import ArtifactStoreAPI
import Crypto
public import Foundation
import SQLKit

/// Bearer tokens with scopes, stored only as hashes, with expiry and revocation.
///
/// Exists so every request can be checked without the control plane ever holding a secret
/// (DESIGN.md §5). A token is `ast_<id>_<secret>`: `id` is 16 hex digits (public, for listing and
/// revoking), `secret` 64 hex digits from the system's random generator. The store keeps the
/// lowercase hex SHA-256 of the whole token string and looks tokens up by that hash.
///
/// Failed authorisations are audited (`auth.denied`, outcome `denied`, with the reason); the
/// token itself is never logged or recorded.
///
/// Valid tokens are cached by hash (``AuthorizationCache``): a revocation takes effect at once
/// in this process, and in every other sharing the database as soon as it hears of it
/// (``ControlPlaneCaches``).
public struct Auth: Sendable {
    let controlPlane: ControlPlane

    /// On an empty store (no token was ever created), creates an admin token with every scope
    /// everywhere and returns it; afterwards returns `nil`. Safe under concurrency: only one
    /// caller ever gets a token.
    ///
    /// - Parameter providedToken: the admin token to install instead of a generated one (an
    ///   automated deployment sets it, e.g. from `ARTIFACTSTORE_ADMIN_TOKEN`). It must have the
    ///   form of a generated token, `ast_<16 hex>_<64 hex>` in lower case, so it is as strong as
    ///   one; only its hash is stored. Ignored (and `nil` returned) when the store already has
    ///   tokens.
    /// - Throws: `invalidToken` for a provided token of the wrong form (nothing stored).
    public func bootstrap(
        providedToken: String? = nil,
        context: RequestContext = RequestContext(actor: "system:bootstrap")
    ) async throws(ControlPlaneError) -> IssuedToken? {
        let now = controlPlane.nowMilliseconds()
        let (id, token): (String, String)
        if let providedToken {
            id = try Self.validateProvided(providedToken)
            token = providedToken
        } else {
            (id, token) = Self.generate()
        }
        return try await controlPlane.mutate("bootstrapping the first admin token") { db -> IssuedToken? in
            guard try await db.raw("SELECT id FROM tokens LIMIT 1").first() == nil else { return nil }
            let info = try await Self.insert(
                id: id,
                token: token,
                name: "bootstrap-admin",
                grants: [.global(.admin)],
                expiresAt: nil,
                context: context,
                now: now,
                in: db
            )
            return IssuedToken(info: info, token: token)
        }
    }

    /// Creates a token.
    ///
    /// - Throws: `invalidName` for a bad name or an empty grant list, or a grant whose namespace
    ///   breaks the grammar.
    public func createToken(
        name: String,
        grants: [Grant],
        expiresAt: Date?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> IssuedToken {
        try NameGrammar.validatePolicyName(name)
        guard !grants.isEmpty else { throw ControlPlaneError(.invalidName, "token \"\(name)\" has no grants") }
        for grant in grants { if let namespace = grant.namespace { try NameGrammar.validateNamespace(namespace) } }
        let now = controlPlane.nowMilliseconds()
        let (id, token) = Self.generate()
        let expiry = expiresAt.map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) }
        return try await controlPlane.mutate("creating token \"\(name)\"") { db in
            let info = try await Self.insert(
                id: id,
                token: token,
                name: name,
                grants: grants,
                expiresAt: expiry,
                context: context,
                now: now,
                in: db
            )
            return IssuedToken(info: info, token: token)
        }
    }

    /// Revokes a token: it stops working at once. Refused with `tokenNotFound`.
    public func revokeToken(id: String, context: RequestContext) async throws(ControlPlaneError) {
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("revoking token \(id)") { db in
            guard let row = try await db.raw("SELECT revoked_at FROM tokens WHERE id = \(bind: id)").first() else {
                throw ControlPlaneError(.tokenNotFound, "no token has id \"\(NameGrammar.printable(id))\"")
            }
            guard try row.optionalInt("revoked_at") == nil else { return }
            try await db.raw("UPDATE tokens SET revoked_at = \(bind: now) WHERE id = \(bind: id)").run()
            try await AuditLog.append(
                AuditEvent(action: "token.revoke", namespace: nil, target: "token:\(id)"),
                context: context,
                at: now,
                in: db
            )
            try await controlPlane.publish(.token(id: id), in: db)
        }
        controlPlane.caches.apply(.token(id: id))
    }

    public func listTokens(page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<TokenInfo> {
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing tokens") { db in
            try await db.raw(
                "SELECT id, name, grants, created_by, created_at, expires_at, revoked_at FROM tokens WHERE id > \(bind: after) ORDER BY id LIMIT \(literal: limit + 1)"
            ).all().map(Self.info(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.id] }
    }

    /// Checks that `token` may use `scope` in `namespace` (`nil`: a store-wide operation), on
    /// the OCI `repository` when the request is one (a registry JWT grants repositories, not
    /// namespaces, and no `/v1` route).
    ///
    /// Without a token, reading a public namespace is allowed as `anonymous`
    /// (``Registry/setPublicRead(_:_:context:)``); nothing else is.
    ///
    /// Every refusal is audited with the reason and `context`'s request id and client address.
    public func authorize(
        token: String?,
        user: String? = nil,
        scope: Scope,
        namespace: String?,
        repository: String? = nil,
        context: RequestContext
    ) async throws(ControlPlaneError) -> AuthorizationDecision {
        try await authorize(.token(token, user: user), scope: scope, namespace: namespace, repository: repository, context: context)
    }

    /// ``authorize(token:user:scope:namespace:repository:context:)`` for a caller that holds only
    /// a store token's SHA-256 hash (a web UI session, ``WebSessions``), checked exactly as the
    /// token would be: a revoked or expired token refuses its sessions at once.
    public func authorize(
        tokenHash: String?,
        scope: Scope,
        namespace: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> AuthorizationDecision {
        try await authorize(.tokenHash(tokenHash), scope: scope, namespace: namespace, repository: nil, context: context)
    }

    /// What a caller presented: a token (a store token, a registry JWT, or with `user` a
    /// directory password), or the hash of the store token a web UI session signed in with.
    enum Presented {
        case token(String?, user: String?)
        case tokenHash(String?)

        /// Nothing was presented: the caller is anonymous.
        var isEmpty: Bool {
            switch self {
            case .token(let token, _): token?.isEmpty ?? true
            case .tokenHash(let hash): hash == nil
            }
        }
    }

    private func authorize(
        _ presented: Presented,
        scope: Scope,
        namespace: String?,
        repository: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> AuthorizationDecision {
        let target = "\(scope.rawValue):\(repository ?? namespace ?? "*")"
        if presented.isEmpty, scope == .read, let namespace, try await isPublic(namespace) {
            return .allow(Principal.anonymous(reading: [namespace]))
        }
        let principal: Principal
        switch try await identify(presented, target: target, namespace: namespace, context: context) {
        case .success(let found): principal = found
        case .failure(let error): return .unauthenticated(error.kind)
        }
        guard principal.allows(scope, in: namespace, repository: repository) else {
            let lacking = principal.repositories == nil ? "token" : "registry token"
            try await deny(
                .forbidden,
                actor: principal.actor,
                target: target,
                namespace: namespace,
                detail: "\(lacking) lacks \(target)",
                context: context
            )
            return .forbidden(principal)
        }
        return .allow(principal)
    }

    /// Whether `namespace` exists and lets anyone read it (from the namespace cache, which a
    /// change of the flag empties in every process).
    public func isPublic(_ namespace: String) async throws(ControlPlaneError) -> Bool {
        do {
            return try await controlPlane.registry.namespace(namespace).publicRead
        } catch  where error.kind == .namespaceNotFound || error.kind == .invalidName {
            return false
        }
    }

    /// Checks only that `token` is a valid token (known, not expired, not revoked), whatever its
    /// grants: for requests any token may make (who am I, the list of namespaces it can read).
    ///
    /// - Throws: `unauthenticated`, `tokenExpired` or `tokenRevoked`, audited like every refusal.
    public func authenticate(token: String?, user: String? = nil, context: RequestContext) async throws(ControlPlaneError) -> Principal {
        try await authenticate(.token(token, user: user), context: context)
    }

    /// ``authenticate(token:user:context:)`` by the token's SHA-256 hash (a web UI session).
    public func authenticate(tokenHash: String?, context: RequestContext) async throws(ControlPlaneError) -> Principal {
        try await authenticate(.tokenHash(tokenHash), context: context)
    }

    private func authenticate(_ presented: Presented, context: RequestContext) async throws(ControlPlaneError) -> Principal {
        switch try await identify(presented, target: "any", namespace: nil, context: context) {
        case .success(let principal): return principal
        case .failure(let error): throw error
        }
    }

    /// The principal of what was presented, or the (audited) reason it is not valid.
    ///
    /// `user` is the user name of Basic credentials: with a directory configured, a password that
    /// is neither a store token (`ast_…`) nor a JWT is checked against it as `user`'s.
    private func identify(
        _ presented: Presented,
        target: String,
        namespace: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Result<Principal, ControlPlaneError> {
        let token: String
        let user: String?
        switch presented {
        case .tokenHash(let hash):
            return try await identify(hash: hash, target: target, namespace: namespace, context: context)
        case .token(nil, _), .token("", _):
            return try await identify(hash: nil, target: target, namespace: namespace, context: context)
        case .token(let presentedToken?, let presentedUser):
            token = presentedToken
            user = presentedUser
        }
        if let user, let directory = controlPlane.configuration.directory, !token.hasPrefix("ast_"), !RegistryTokens.looksLikeJWT(token) {
            return try await identifyInDirectory(
                directory,
                user: user,
                password: token,
                target: target,
                namespace: namespace,
                context: context
            )
        }
        if RegistryTokens.looksLikeJWT(token) {
            do {
                return .success(try await controlPlane.registryTokens.verify(token))
            } catch {
                guard [.registryTokenInvalid, .registryTokenExpired, .registryTokenAudience].contains(error.kind) else { throw error }
                let actor = RegistryTokens.claimedSubject(token).map { "claimed:\($0)" } ?? "anonymous"
                try await deny(error.kind, actor: actor, target: target, namespace: namespace, detail: error.message, context: context)
                return .failure(error)
            }
        }
        return try await identify(hash: Self.hash(token), target: target, namespace: namespace, context: context)
    }

    /// The principal of the store token whose hash is `hash`, or the (audited) reason it is not
    /// valid; `nil`: nothing was presented.
    private func identify(
        hash: String?,
        target: String,
        namespace: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Result<Principal, ControlPlaneError> {
        guard let hash else {
            try await deny(.unauthenticated, actor: "anonymous", target: target, namespace: namespace, detail: "no token", context: context)
            return .failure(Self.refusal(.unauthenticated))
        }
        let cache = controlPlane.caches.authorizations.entries
        let found: TokenInfo?
        if let cached = cache.value(for: hash, now: controlPlane.clock()) {
            found = cached
        } else {
            let generation = cache.generation
            found = try await controlPlane.query("looking up a token") { db in
                try await db.raw(
                    "SELECT id, name, grants, created_by, created_at, expires_at, revoked_at FROM tokens WHERE secret_hash = \(bind: hash)"
                )
                .first().map(Self.info(from:))
            }
            if let found, found.revokedAt == nil, found.expiresAt.map({ $0 > controlPlane.clock() }) ?? true {
                cache.store(found, for: hash, now: controlPlane.clock(), ifGeneration: generation)
            }
        }
        guard let info = found else {
            try await deny(
                .unauthenticated,
                actor: "anonymous",
                target: target,
                namespace: namespace,
                detail: "unknown token",
                context: context
            )
            return .failure(Self.refusal(.unauthenticated))
        }
        let actor = "token:\(info.id)"
        if info.revokedAt != nil {
            try await deny(.tokenRevoked, actor: actor, target: target, namespace: namespace, detail: "token revoked", context: context)
            return .failure(Self.refusal(.tokenRevoked))
        }
        if let expiry = info.expiresAt, expiry <= controlPlane.clock() {
            try await deny(.tokenExpired, actor: actor, target: target, namespace: namespace, detail: "token expired", context: context)
            return .failure(Self.refusal(.tokenExpired))
        }
        return .success(Principal(tokenID: info.id, name: info.name, grants: info.grants, actor: Self.actor(of: info)))
    }

    /// The actor a token acts as: `token:<id>`, or for a token minted at an OpenID sign-in (its
    /// creator is `oidc:<identity>`) that identity, so the audit records of everything done with
    /// it name the person (docs/identity.md).
    static func actor(of info: TokenInfo) -> String? {
        info.createdBy.hasPrefix("oidc:") ? info.createdBy : nil
    }

    /// The error of an authentication refusal.
    static func refusal(_ code: ControlPlaneError.Code) -> ControlPlaneError {
        switch code {
        case .tokenExpired: ControlPlaneError(code, "the bearer token is expired")
        case .tokenRevoked: ControlPlaneError(code, "the bearer token is revoked")
        case .registryTokenInvalid:
            ControlPlaneError(code, "the registry token is refused (malformed, another algorithm, or a bad signature)")
        case .registryTokenExpired: ControlPlaneError(code, "the registry token has expired or is not valid yet")
        case .registryTokenAudience: ControlPlaneError(code, "the registry token was issued for another service or by another issuer")
        default: ControlPlaneError(code, "a valid bearer token is required")
        }
    }

    /// A directory user's principal (actor `ldap:<user>`, grants from the group rules), or the
    /// audited refusal. A directory that cannot answer is `directoryUnavailable` (audited too).
    private func identifyInDirectory(
        _ directory: DirectorySettings,
        user: String,
        password: String,
        target: String,
        namespace: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Result<Principal, ControlPlaneError> {
        let actor = "ldap:\(NameGrammar.printable(String(user.prefix(64))))"
        do {
            let groups = try await directory.authenticator.groups(user: user, password: password)
            return .success(Principal(tokenID: actor, name: user, grants: directory.grants(for: groups), actor: actor))
        } catch {
            switch error {
            case .refused(let reason):
                try await deny(
                    .unauthenticated,
                    actor: actor,
                    target: target,
                    namespace: namespace,
                    detail: "directory: \(reason)",
                    context: context
                )
                return .failure(Self.refusal(.unauthenticated))
            case .unavailable(let reason):
                try await deny(
                    .directoryUnavailable,
                    actor: actor,
                    target: target,
                    namespace: namespace,
                    detail: "directory: \(reason)",
                    context: context
                )
                throw ControlPlaneError(.directoryUnavailable, "the directory could not check the credentials of \(actor): \(reason)")
            }
        }
    }

    /// ``authorize(token:user:scope:namespace:repository:context:)`` that throws the refusal
    /// (`unauthenticated`, `tokenExpired`, `tokenRevoked`, `registryToken…`, `forbidden`).
    public func require(
        token: String?,
        user: String? = nil,
        scope: Scope,
        namespace: String?,
        repository: String? = nil,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Principal {
        try await require(.token(token, user: user), scope: scope, namespace: namespace, repository: repository, context: context)
    }

    /// ``require(token:user:scope:namespace:repository:context:)`` by the token's SHA-256 hash
    /// (a web UI session).
    public func require(
        tokenHash: String?,
        scope: Scope,
        namespace: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Principal {
        try await require(.tokenHash(tokenHash), scope: scope, namespace: namespace, repository: nil, context: context)
    }

    private func require(
        _ presented: Presented,
        scope: Scope,
        namespace: String?,
        repository: String?,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Principal {
        switch try await authorize(presented, scope: scope, namespace: namespace, repository: repository, context: context) {
        case .allow(let principal):
            return principal
        case .unauthenticated(let code):
            throw Self.refusal(code)
        case .forbidden(let principal):
            let on = repository.map { "repository \"\($0)\"" } ?? namespace.map { "namespace \"\($0)\"" } ?? "the whole store"
            if principal.repositories != nil {
                throw ControlPlaneError(.forbidden, "the registry token of \(principal.actor) does not grant \(scope.rawValue) on \(on)")
            }
            throw ControlPlaneError(.forbidden, "token \(principal.tokenID) lacks \(scope.rawValue) on \(on)")
        }
    }

    private func deny(
        _ code: ControlPlaneError.Code,
        actor: String,
        target: String,
        namespace: String?,
        detail: String,
        context: RequestContext
    ) async throws(ControlPlaneError) {
        var audited = context
        audited.actor = actor
        try await controlPlane.audit.appendAlone(
            AuditEvent(
                action: "auth.denied",
                namespace: namespace,
                target: target,
                outcome: .denied,
                detail: "\(code.rawValue): \(detail)"
            ),
            context: audited
        )
    }

    // MARK: Pieces

    static func generate() -> (id: String, token: String) {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return (id, "ast_\(id)_\(secret)")
    }

    /// The id part of a provided token of the generated form, or `invalidToken`.
    public static func validateProvided(_ token: String) throws(ControlPlaneError) -> String {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        let isLowerHex: (Substring) -> Bool = { $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }
        guard parts.count == 3, parts[0] == "ast", parts[1].utf8.count == 16, parts[2].utf8.count == 64, isLowerHex(parts[1]),
            isLowerHex(parts[2])
        else {
            // The message never repeats the token: it is a secret even when malformed.
            throw ControlPlaneError(
                .invalidToken,
                "the provided admin token (\(token.utf8.count) characters) is not of the form ast_<16 lowercase hex>_<64 lowercase hex>"
            )
        }
        return String(parts[1])
    }

    /// The lowercase hex SHA-256 of `token` (on every request: no `String(format:)`, which cost
    /// more than the hash itself).
    static func hash(_ token: String) -> String {
        Digest.sha256(of: token.utf8).hex
    }

    private static func insert(
        id: String,
        token: String,
        name: String,
        grants: [Grant],
        expiresAt: Int64?,
        context: RequestContext,
        now: Int64,
        in db: any SQLDatabase
    ) async throws -> TokenInfo {
        let grantText = grants.map(\.description).joined(separator: " ")
        try await db.raw(
            """
            INSERT INTO tokens (id, secret_hash, name, grants, created_by, created_at, expires_at, revoked_at)
            VALUES (\(bind: id), \(bind: hash(token)), \(bind: name), \(bind: grantText), \(bind: context.actor), \(bind: now), \(bind: expiresAt), NULL)
            """
        ).run()
        try await AuditLog.append(
            AuditEvent(action: "token.create", namespace: nil, target: "token:\(id)", detail: "\(name) grants \(grantText)"),
            context: context,
            at: now,
            in: db
        )
        return TokenInfo(
            id: id,
            name: name,
            grants: grants,
            createdBy: context.actor,
            createdAt: Date(milliseconds: now),
            expiresAt: expiresAt.map(Date.init(milliseconds:)),
            revokedAt: nil
        )
    }

    private static func info(from row: any SQLRow) throws -> TokenInfo {
        TokenInfo(
            id: try row.string("id"),
            name: try row.string("name"),
            grants: try row.string("grants").split(separator: " ").map { text throws(ControlPlaneError) in try Grant(parsing: text) },
            createdBy: try row.string("created_by"),
            createdAt: Date(milliseconds: try row.int("created_at")),
            expiresAt: try row.optionalInt("expires_at").map(Date.init(milliseconds:)),
            revokedAt: try row.optionalInt("revoked_at").map(Date.init(milliseconds:))
        )
    }
}
