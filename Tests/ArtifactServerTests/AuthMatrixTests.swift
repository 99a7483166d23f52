import ArtifactControlPlane
import ArtifactServer
import ArtifactStoreAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Every route of ``APIRoute/all`` × {no token, a token with too little scope, a token with just
/// the scope}: 401 (with `WWW-Authenticate`), 403, and neither.
@Suite("Auth matrix", .timeLimit(.minutes(10)))
struct AuthMatrixTests {
    /// Sample values for the path parameters.
    static let samples: [String: String] = [
        "ns": "team", "artifact": "app", "version": "1.0", "tag": "latest", "name": "keep", "id": "0123456789abcdef",
        "digest": "blake3:" + String(repeating: "ab", count: 32), "path": "bin/tool",
    ]

    static func uri(for route: APIRoute) -> String {
        route.openAPIPath.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix("{") else { return String(segment) }
            return samples[String(segment.dropFirst().dropLast())]!
        }.joined(separator: "/")
    }

    static func body(for route: APIRoute) -> ByteBuffer? {
        switch route.id {
        case .createNamespace: ByteBuffer(string: #"{"name":"fresh"}"#)
        case .uploadBlob: ByteBuffer(string: "bytes")
        case .commitVersion: ByteBuffer(string: #"{"files":[{"path":"a","address":"blake3:\#(String(repeating: "ab", count: 32))"}]}"#)
        case .setTag: ByteBuffer(string: #"{"version":"1.0"}"#)
        case .placeHold: ByteBuffer(string: #"{"reason":"r"}"#)
        case .setPolicy: ByteBuffer(string: #"{"keepLast":3}"#)
        case .setProxy: ByteBuffer(string: #"{"upstream":"https://registry.example.org"}"#)
        case .createToken: ByteBuffer(string: #"{"name":"x","grants":[{"scope":"read","namespace":"team"}]}"#)
        default: nil
        }
    }

    /// A grant that is not enough for `access`, and one that is exactly enough.
    static func grants(for access: RouteAccess) -> (wrong: [Grant]?, right: [Grant]) {
        switch access {
        case .open: (nil, [])
        case .anyToken: (nil, [Grant(.read, namespace: "elsewhere")])
        case .namespace(let scope):
            switch scope {
            case .read: ([Grant(.admin, namespace: "elsewhere")], [Grant(.read, namespace: "team")])
            case .write: ([Grant(.read, namespace: "team")], [Grant(.write, namespace: "team")])
            case .admin: ([Grant(.write, namespace: "team")], [Grant(.admin, namespace: "team")])
            }
        case .global(let scope):
            (
                [Grant(.admin, namespace: "team")] + (scope == .admin ? [Grant.global(.write)] : []),
                [Grant.global(scope)]
            )
        }
    }

    @Test("every route: 401 without a token, 403 with too little scope, allowed with the scope")
    func matrix() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            var cases: [(APIRoute, String?, String)] = []
            for route in APIRoute.all where route.access != .open {
                let (wrong, right) = Self.grants(for: route.access)
                cases.append((route, nil, "none"))
                if let wrong { cases.append((route, try await harness.token(wrong), "wrong")) }
                cases.append((route, try await harness.token(right), "right"))
            }
            let checks = cases
            try await harness.withClient { client in
                for (route, token, kind) in checks {
                    var headers = TestRequest.bearer(token)
                    if route.id == .uploadBlob {
                        headers[.contentType] = "application/octet-stream"
                    } else if Self.body(for: route) != nil {
                        headers[.contentType] = "application/json"
                    }
                    let (uri, method, body) = (Self.uri(for: route), route.method.http, Self.body(for: route))
                    try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                        let label = "\(route.method) \(route.path) with \(kind) token"
                        switch kind {
                        case "none":
                            #expect(response.status == .unauthorized, "\(label)")
                            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="artifactstore""#, "\(label)")
                            if route.method != .head { #expect(response.errorCode() == "unauthenticated", "\(label)") }
                        case "wrong":
                            #expect(response.status == .forbidden, "\(label)")
                            if route.method != .head { #expect(response.errorCode() == "forbidden", "\(label)") }
                        default:
                            #expect(response.status != .unauthorized && response.status != .forbidden, "\(label): \(response.status)")
                        }
                    }
                }
            }
            // Every refusal is audited.
            let denied = try await harness.controlPlane.audit.records(AuditFilter(action: "auth.denied"), page: .first(1000))
            #expect(denied.items.count == checks.filter { $0.2 != "right" }.count)
        }
    }

    @Test("operations endpoints need no token")
    func openRoutes() async throws {
        try await ServerHarness.run { harness in
            try await harness.withClient { client in
                // The OpenID sign-in routes answer 404 until oidcIssuer is set (docs/identity.md), never 401.
                let unconfigured: Set<APIRouteID> = [.oidcConfiguration, .oidcToken]
                for route in APIRoute.all where route.access == .open {
                    try await client.execute(uri: route.path, method: route.method.http) { response in
                        #expect(response.status == (unconfigured.contains(route.id) ? .notFound : .ok), "\(route.path)")
                    }
                }
            }
        }
    }
}
