/// The registry token flow's settings (docs/oci.md, "Token authentication").
///
/// Exists so `serve` can turn the Docker/OCI distribution token authentication on: `/v2`
/// challenges then name the token endpoint, which issues short-lived JWTs for the service
/// ``service``, and the `/v2` routes accept them. `nil` in ``ControlPlane/Configuration`` (the
/// default) keeps the Basic challenge and refuses every JWT.
public struct RegistryTokenSettings: Sendable, Hashable {
    /// The `service` of the challenge and the JWT's audience (`aud`); a token request naming
    /// another service is refused.
    public var service: String
    /// The JWT's issuer (`iss`), checked on every use.
    public var issuer: String
    /// How long an issued JWT is valid (`expires_in`).
    public var lifetime: Duration
    /// The token endpoint's URL as clients reach it (the challenge's `realm`); `nil` derives
    /// `http://<Host>/v2/token` from each request, which is wrong behind TLS or a proxy.
    public var realm: String?

    public init(
        service: String = "artifactstore",
        issuer: String = "artifactstore",
        lifetime: Duration = .seconds(300),
        realm: String? = nil
    ) {
        self.service = service
        self.issuer = issuer
        self.lifetime = lifetime
        self.realm = realm
    }
}
