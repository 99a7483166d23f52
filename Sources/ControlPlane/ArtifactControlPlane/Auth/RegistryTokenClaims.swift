import Foundation
import JWTKit

/// The claims of a registry bearer JWT: the distribution token spec's (`iss`, `sub`, `aud`,
/// `exp`, `nbf`, `iat`, `jti`, `access`) plus the store token it was issued from (`tid`, `nam`).
///
/// Exists as the one shape ``RegistryTokens`` signs and reads. Its ``verify(using:)`` checks
/// nothing: the times, audience and issuer are checked by ``RegistryTokens`` against the
/// control plane's (injectable) clock and settings, each refusal with its own code.
struct RegistryTokenClaims: JWTPayload, Equatable {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim
    var iat: IssuedAtClaim
    var jti: IDClaim
    var access: [RegistryAccess.Entry]
    /// The id of the store token (or other identity record) the JWT was issued from.
    var tid: String
    /// Its name, as `whoami` shows it.
    var nam: String

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
