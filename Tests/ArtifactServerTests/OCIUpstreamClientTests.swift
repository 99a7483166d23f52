import ArtifactOCI
import ArtifactStoreAPI
import Foundation
import Testing

@testable import ArtifactServer

/// The parts of the upstream conversation no docker-registry in CI exercises: the `Bearer`
/// challenge as Docker Hub sends it, the origin credentials go to, and which hosts a redirect or
/// token realm may lead to.
@Suite("OCI proxy upstream conversation", .timeLimit(.minutes(5)))
struct OCIUpstreamClientTests {
    @Test("WWW-Authenticate: Bearer with realm, service and scope; Basic; malformed")
    func challenges() throws {
        let hub = try #require(
            OCIAuthChallenge(
                #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            )
        )
        #expect(hub.scheme == "bearer")
        #expect(
            hub.parameters == [
                "realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/alpine:pull",
            ]
        )
        let basic = try #require(OCIAuthChallenge(#"Basic realm="Registry Realm""#))
        #expect(basic.scheme == "basic")
        #expect(basic.parameters["realm"] == "Registry Realm")
        #expect(OCIAuthChallenge(#"Bearer realm="unterminated"#) == nil)
        #expect(OCIAuthChallenge("") == nil)
        #expect(OCIAuthChallenge("Bearer")?.parameters.isEmpty == true)
    }

    @Test("redirects and token realms: the upstream's host or a configured one; credentials only to the upstream's origin")
    func hosts() throws {
        let proxy = try OCIProxyConfiguration(
            namespace: "hub",
            body: SetProxyBody(upstream: "https://Registry-1.Docker.io", redirectHosts: ["auth.docker.io", "CDN.example.org"])
        )
        #expect(proxy.allowsRedirect(to: "registry-1.docker.io"))
        #expect(proxy.allowsRedirect(to: "auth.docker.io"))
        #expect(proxy.allowsRedirect(to: "cdn.example.org"))
        #expect(!proxy.allowsRedirect(to: "169.254.169.254"))
        #expect(!proxy.allowsRedirect(to: "registry-1.docker.io.evil.example"))
        let origin = OCIUpstreamClient.origin(proxy.upstream)
        #expect(origin == "https://registry-1.docker.io:443")
        #expect(OCIUpstreamClient.origin(URL(string: "https://registry-1.docker.io/v2/x")!) == origin)
        #expect(OCIUpstreamClient.origin(URL(string: "http://registry-1.docker.io/v2/x")!) != origin, "another scheme gets no credentials")
        #expect(OCIUpstreamClient.origin(URL(string: "https://registry-1.docker.io:8443/v2/x")!) != origin, "another port gets none")
    }

    @Test("allow and deny globs: deny wins; the prefix names the upstream repository")
    func globs() throws {
        let proxy = try OCIProxyConfiguration(
            namespace: "hub",
            body: SetProxyBody(upstream: "http://127.0.0.1:5000", prefix: "library/", allow: ["app*", "tools/**"], deny: ["tools/secret"])
        )
        #expect(proxy.admits("app"))
        #expect(proxy.admits("apps"))
        #expect(proxy.admits("tools/a/b"))
        #expect(!proxy.admits("tools/secret"))
        #expect(!proxy.admits("other"))
        #expect(proxy.upstreamRepository("app") == "library/app")
        #expect(!proxy.description.contains("password"))
    }
}
