public import ArtifactStoreAPI
public import Foundation
import JWTKit

/// The Docker/OCI distribution token authentication's issuer and verifier: short-lived HS256
/// JWTs that grant OCI repository actions (docs/oci.md, "Token authentication").
///
/// Exists so registry clients that follow a `Bearer` challenge (docker, podman, skopeo, oras,
/// helm) can trade a store token (or a directory identity) for a JWT scoped to what they asked,
/// and never send the long-lived secret to every `/v2` route. It promises:
/// - an issued JWT grants exactly the intersection of the requested scopes and what the
///   identity may do (``RegistryAccess/granted(to:)``), for ``RegistryTokenSettings/lifetime``;
/// - a JWT is accepted only with `alg` `HS256`, a known `kid`, a valid signature, `iss` and `aud`
///   this server's, `nbf`/`iat` not in the future and `exp` not past, all against the control
///   plane's clock; each refusal has its own code (`registryTokenInvalid`, `registryTokenAudience`,
///   `registryTokenExpired`);
/// - the JWT, its signature and the signing key never appear in an error message or a log.
///
/// A JWT stays valid until it expires even if the store token it came from is revoked; the
/// lifetime (5 minutes by default) bounds that.
public struct RegistryTokens: Sendable {
    let controlPlane: ControlPlane

    /// The largest JWT looked at; a longer credential is refused unread.
    static let maximumLength = 8192
    /// Tolerated clock difference between servers sharing a database, for `nbf` and `iat`.
    static let leeway: TimeInterval = 30

    /// The settings in effect, or `nil` when token authentication is off.
    public var settings: RegistryTokenSettings? { controlPlane.configuration.registryTokens }

    /// A JWT for `principal` granting the part of `requested` it may have.
    ///
    /// - Throws: `invalidRegistryScope` when `service` names another service, or token
    ///   authentication is off; `database` when the keys cannot be read.
    public func issue(
        for principal: Principal,
        service: String?,
        requested: RegistryAccess
    ) async throws(ControlPlaneError) -> IssuedRegistryToken {
        guard let settings else {
            throw ControlPlaneError(
                .invalidRegistryScope,
                "registry token authentication is not enabled on this server (registryTokenAuth)"
            )
        }
        if let service, service != settings.service {
            throw ControlPlaneError(
                .invalidRegistryScope,
                "service \"\(NameGrammar.printable(service))\" is not this registry's (\"\(settings.service)\")"
            )
        }
        let keys = try await controlPlane.registryTokenKeys.keys(controlPlane)
        let granted = requested.granted(to: principal)
        let now = controlPlane.clock()
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let lifetime = Int(settings.lifetime.components.seconds)
        let claims = RegistryTokenClaims(
            iss: IssuerClaim(value: settings.issuer),
            sub: SubjectClaim(value: principal.actor),
            aud: AudienceClaim(value: [settings.service]),
            exp: ExpirationClaim(value: issuedAt.addingTimeInterval(TimeInterval(lifetime))),
            nbf: NotBeforeClaim(value: issuedAt),
            iat: IssuedAtClaim(value: issuedAt),
            jti: IDClaim(value: UUID().uuidString.lowercased()),
            access: granted.entries,
            tid: principal.tokenID,
            nam: principal.name
        )
        let token: String
        do {
            token = try await keys.collection.sign(claims, kid: JWKIdentifier(string: keys.signingID))
        } catch {
            throw ControlPlaneError(.internalError, "signing a registry token failed", underlying: error)
        }
        return IssuedRegistryToken(token: token, expiresIn: lifetime, issuedAt: issuedAt, access: granted)
    }

    /// Whether `credential` has the form of a JWT (three base64url parts, the first a JSON
    /// object): such a credential is checked here, never looked up as a store token.
    public static func looksLikeJWT(_ credential: String) -> Bool {
        credential.hasPrefix("eyJ") && credential.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }

    /// The principal a JWT grants, after every check in the type's promise.
    ///
    /// - Throws: `registryTokenInvalid`, `registryTokenAudience` or `registryTokenExpired`; the
    ///   error's message says which check failed and never repeats the token.
    public func verify(_ jwt: String) async throws(ControlPlaneError) -> Principal {
        guard let settings else { throw invalid("registry token authentication is not enabled on this server") }
        guard jwt.utf8.count <= Self.maximumLength else { throw invalid("the token is longer than \(Self.maximumLength) bytes") }
        let header = try Self.header(of: jwt)
        guard header.alg == RegistryTokenKeys.algorithm else {
            throw invalid("the token's algorithm \"\(NameGrammar.printable(String((header.alg ?? "").prefix(16))))\" is not HS256")
        }
        let keys = try await controlPlane.registryTokenKeys.keys(controlPlane)
        guard let kid = header.kid, keys.ids.contains(kid) else { throw invalid("the token names no key this server knows") }
        let claims: RegistryTokenClaims
        do {
            claims = try await keys.collection.verify(jwt, as: RegistryTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw invalid("the token's signature does not verify")
        } catch {
            throw invalid("the token's claims do not parse")
        }
        guard claims.iss.value == settings.issuer else {
            throw ControlPlaneError(.registryTokenAudience, "the registry token was issued by another issuer")
        }
        guard claims.aud.value.contains(settings.service) else {
            throw ControlPlaneError(.registryTokenAudience, "the registry token is for another service, not \"\(settings.service)\"")
        }
        let now = controlPlane.clock()
        guard claims.exp.value > now else { throw ControlPlaneError(.registryTokenExpired, "the registry token has expired") }
        guard claims.nbf.value.timeIntervalSince(now) <= Self.leeway, claims.iat.value.timeIntervalSince(now) <= Self.leeway else {
            throw ControlPlaneError(.registryTokenExpired, "the registry token is not valid yet")
        }
        let access = RegistryAccess(entries: claims.access)
        let scopes = access.repositoryScopes
        var grants: [Grant] = []
        for (repository, scope) in scopes.sorted(by: { $0.key < $1.key }) {
            guard let namespace = try? RegistryAccess.namespace(ofRepository: repository) else { continue }
            let grant = Grant(scope, namespace: namespace)
            if !grants.contains(grant) { grants.append(grant) }
        }
        return Principal(tokenID: claims.tid, name: claims.nam, grants: grants, actor: claims.sub.value, repositories: scopes)
    }

    /// The subject a JWT claims, unverified: only for the audit record of its refusal (as the
    /// identity that was claimed), printable and at most 128 characters.
    public static func claimedSubject(_ jwt: String) -> String? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count <= maximumLength, let data = Data(base64URL: parts[1]),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let sub = object["sub"] as? String
        else { return nil }
        return NameGrammar.printable(String(sub.prefix(128)))
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    /// The JWT's header, unverified (to refuse a wrong algorithm before anything else).
    static func header(of jwt: String) throws(ControlPlaneError) -> Header {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(base64URL: parts[0]), let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw ControlPlaneError(.registryTokenInvalid, "the registry token is not a JWT (three base64url parts, a JSON header)")
        }
        return header
    }

    private func invalid(_ reason: String) -> ControlPlaneError {
        ControlPlaneError(.registryTokenInvalid, "the registry token is refused: \(reason)")
    }
}

/// A JWT just issued, with what the token endpoint answers besides it.
public struct IssuedRegistryToken: Sendable, Hashable {
    /// The JWT. A secret: never logged.
    public var token: String
    /// Seconds it is valid for.
    public var expiresIn: Int
    public var issuedAt: Date
    /// What it grants (possibly nothing: the spec's answer to a request the identity may not have).
    public var access: RegistryAccess
}

extension Data {
    /// Decodes base64url without padding (RFC 7515 §2).
    init?(base64URL text: Substring) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") || text.isEmpty else { return nil }
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
