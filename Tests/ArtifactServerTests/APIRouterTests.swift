import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import Hummingbird
import Testing

@testable import ArtifactServer

/// The byte-level pieces every request goes through before its handler: the router's path
/// matching, the `Authorization` parser and the path-name check. The HTTP behaviour around them
/// (404, 405, refused names, the auth matrix) is covered through a server in `APITests`,
/// `MethodNotAllowedTests` and `AuthMatrixTests`.
@Suite("Router matching and request parsing", .timeLimit(.minutes(10)))
struct APIRouterTests {
    static func endpoint(_ template: String) -> APIRouter.Endpoint {
        APIRouter.Endpoint(template: template, method: .get) { _, _ in Response(status: .ok) }
    }

    static func match(_ template: String, _ path: String) -> Parameters? {
        RouteTemplate(template).parameters(path, RouteTemplate.segments(of: path))
    }

    @Test("paths split on '/' with empty segments skipped, as Hummingbird's router does")
    func segments() {
        func texts(_ path: String) -> [Substring] { RouteTemplate.segments(of: path).map { path[$0] } }
        #expect(texts("/v1/namespaces") == ["v1", "namespaces"])
        #expect(texts("//v1///namespaces/") == ["v1", "namespaces"])
        #expect(texts("/") == [])
        #expect(texts("") == [])
        #expect(texts("/ä/%2F/x") == ["ä", "%2F", "x"])
    }

    @Test("literals match byte for byte, captures take one segment, nothing more or less")
    func literalsAndCaptures() throws {
        let template = "/v1/namespaces/:ns/blobs/:digest"
        let parameters = try #require(Self.match(template, "/v1/namespaces/team/blobs/sha256:ab"))
        #expect(parameters.get("ns") == "team")
        #expect(parameters.get("digest") == "sha256:ab")
        #expect(Self.match(template, "/v1/namespaces/team/blobs") == nil)
        #expect(Self.match(template, "/v1/namespaces/team/blobs/d/verify") == nil)
        #expect(Self.match(template, "/v1/Namespaces/team/blobs/d") == nil)
        #expect(Self.match(template, "/v1/namespaces/team/blob/d") == nil)
        // Captures are raw: decoding and checking them is PathParameter's job.
        #expect(Self.match(template, "/v1/namespaces/%2e%2e/blobs/d")?.get("ns") == "%2e%2e")
        #expect(Self.match("/v1/namespaces", "/v1/namespaces/") != nil)
    }

    @Test("'**' takes the rest of the path, one segment or more")
    func rest() throws {
        let template = "/v1/namespaces/:ns/files/**"
        let parameters = try #require(Self.match(template, "/v1/namespaces/team/files/dir/a.txt"))
        #expect(parameters.getCatchAll() == ["dir", "a.txt"])
        #expect(Self.match(template, "/v1/namespaces/team/files/a.txt")?.getCatchAll() == ["a.txt"])
        #expect(Self.match(template, "/v1/namespaces/team/files") == nil)
        #expect(Self.match(template, "/v1/namespaces/team/files/") == nil)
    }

    @Test("the router's shape index never drops a route: a path of any segment count that a template matches, it accepts")
    func shapeIndexAgreesWithMatching() {
        let templates = APIRoute.all.map(\.path) + ["/a/**/b", "/**", "/"]
        for template in templates.map(RouteTemplate.init) {
            for count in 0...20 {
                // Literals where the template has them, anything else elsewhere.
                let path =
                    "/"
                    + (0..<count).map { index in
                        guard index < template.segments.count, case .literal(let literal) = template.segments[index] else { return "x" }
                        return String(literal)
                    }.joined(separator: "/")
                if template.matches(path) { #expect(template.accepts(segmentCount: count), "\(template.segments) \(path)") }
                if !template.accepts(segmentCount: count) { #expect(!template.matches(path)) }
            }
        }
        #expect(RouteTemplate("/v1/namespaces/:ns/files/**").accepts(segmentCount: 5))
        #expect(!RouteTemplate("/v1/namespaces/:ns/files/**").accepts(segmentCount: 4))
        #expect(!RouteTemplate("/v1/namespaces/:ns").accepts(segmentCount: 4))
    }

    @Test("an endpoint's metrics label is its template as Hummingbird writes it")
    func label() {
        #expect(Self.endpoint("/v1/namespaces/:ns/blobs/:digest").label == "/v1/namespaces/{ns}/blobs/{digest}")
        #expect(Self.endpoint("/v1/namespaces/:ns/files/**").label == "/v1/namespaces/{ns}/files/**")
    }

    @Test("a path made from a route's template matches that route and no other of its method (so their order does not matter)")
    func everyRouteMatchesItselfOnly() {
        for route in APIRoute.all {
            let path =
                "/"
                + route.path.split(separator: "/").map { $0 == "**" ? "a/b" : $0.hasPrefix(":") ? "x" : String($0) }.joined(separator: "/")
            let matching = APIRoute.all.filter { $0.method == route.method && Self.match($0.path, path) != nil }
            #expect(matching == [route], "\(route.method) \(path)")
        }
    }

    @Test(
        "Authorization: Bearer or Basic in any case, the token trimmed; anything else carries none",
        arguments: [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("Bearer   abc \t", "abc"), ("  Bearer abc", "abc"),
            ("Bearer a b", "a b"), ("Bearer", nil), ("Bearer ", nil), ("Bearer \t ", nil), ("Bearer\tabc", nil), ("Bearerabc", nil),
            ("Token abc", nil), ("Bear abc", nil), ("", nil),
            ("Basic " + Data("user:secret".utf8).base64EncodedString(), "secret"),
            ("basic " + Data("user:pa:ss".utf8).base64EncodedString(), "pa:ss"),
            ("Basic " + Data("user:".utf8).base64EncodedString(), nil), ("Basic " + Data("user".utf8).base64EncodedString(), nil),
            ("Basic !!!", nil),
        ] as [(String, String?)]
    )
    func authorization(_ header: String, _ token: String?) {
        #expect(CredentialMiddleware.token(fromAuthorization: header) == token)
    }

    @Test(
        "Basic: the user is what precedes the first ':' (nil when empty), the token what follows; one decode gives both",
        arguments: [
            ("Basic " + Data("alice:secret".utf8).base64EncodedString(), "secret", "alice"),
            ("BASIC \t" + Data("bob:pa:ss".utf8).base64EncodedString() + " ", "pa:ss", "bob"),
            ("Basic " + Data(":secret".utf8).base64EncodedString(), "secret", nil),
            ("Basic " + Data("zoë:sécret".utf8).base64EncodedString(), "sécret", "zoë"),
            ("Bearer abc", "abc", nil), ("Basic " + Data("alice:".utf8).base64EncodedString(), nil, nil),
            ("Basic " + Data([0x61, 0x3A, 0xFF]).base64EncodedString(), nil, nil),
            ("Basic " + Data([0xC3, 0x3A, 0x61]).base64EncodedString(), nil, nil),
            ("Basic YWxpY2U6c2VjcmV0", "secret", "alice"), ("Basic", nil, nil),
        ] as [(String, String?, String?)]
    )
    func basicCredentials(_ header: String, _ token: String?, _ user: String?) {
        let credential = CredentialMiddleware.credential(fromAuthorization: header)
        #expect(credential?.token == token)
        #expect(credential?.basicUser == user)
        #expect(CredentialMiddleware.basicUser(fromAuthorization: header) == user)
    }

    @Test(
        "a path name is refused when empty, '.', '..', with '\\' or a control character, or with '/' unless allowed (then per segment)",
        arguments: [
            ("team", false, true), ("é-名", false, true), ("", false, false), (".", false, false), ("..", false, false),
            ("...", false, true), ("a/b", false, false), ("a\\b", false, false), ("a\u{7F}", false, false), ("a\u{1}b", false, false),
            ("a\tb", false, false), ("a/b", true, true), ("a/./b", true, false), ("a/../b", true, false), ("a//b", true, false),
            ("/a", true, false), ("a/", true, false), ("..", true, false), ("a/.b/..c", true, true),
        ] as [(String, Bool, Bool)]
    )
    func pathNames(_ name: String, _ allowSlash: Bool, _ clean: Bool) {
        var bytes = name
        #expect(bytes.withUTF8 { PathParameter.isClean($0, allowSlash: allowSlash) } == clean)
        do {
            let decoded = try PathParameter.decode(name, what: "name", allowSlash: allowSlash)
            #expect(clean && decoded == name, "\(name.debugDescription) was accepted")
        } catch let error as ControlPlaneError {
            #expect(!clean, "\(name.debugDescription) was refused: \(error)")
            #expect(error.kind == .invalidName && error.message.hasPrefix("name "), "\(error)")
        } catch {
            Issue.record(error, "not a ControlPlaneError")
        }
    }

    @Test("percent-escapes are decoded once before the check")
    func decodedOnce() throws {
        #expect(try PathParameter.decode("te%61m", what: "ns", allowSlash: false) == "team")
        #expect(try PathParameter.decode("a%2Fb", what: "artifact", allowSlash: true) == "a/b")
        #expect(try PathParameter.decode("%252e%252e", what: "ns", allowSlash: false) == "%2e%2e")
        for refused in ["%2e%2e", "%2E%2E", "a%2Fb", "%zz", "%", "a%00"] {
            #expect(throws: (any Error).self, "\(refused)") { try PathParameter.decode(refused, what: "ns", allowSlash: false) }
        }
    }
}
