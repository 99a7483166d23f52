import ArtifactControlPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStorage
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Synchronization
import Testing

@testable import ArtifactServer

/// The web UI's server side (issue 19, docs/ui.md): headers, sessions, CSRF, expiry and the
/// usage route. The pages themselves run in a real Chromium in scripts/ui/test_ui.py.
@Suite("Web UI", .timeLimit(.minutes(10)))
struct WebUITests {
    /// A clock the test moves by hand (session expiry without sleeping).
    final class StepClock: Sendable {
        let offset = Mutex<TimeInterval>(0)
        func now() -> Date { Date(timeIntervalSince1970: 1_800_000_000).addingTimeInterval(offset.withLock { $0 }) }
        func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    }

    struct Setup: Sendable {
        let controlPlane: ControlPlane
        let api: APIHandlers
        let admin: String
        let clock: StepClock

        func withClient(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
            let app = Application(
                router: api.makeRouter(),
                server: ServeApplication.httpServer(limits: .patient),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                logger: TestLogs.silent
            )
            try await app.test(.router, body)
        }

        /// `auth.denied` records (pending or sealed) of refused CSRF checks.
        func csrfRefusalsAudited() async throws -> Int64? {
            try await controlPlane.store.read { db in
                try await db.raw(
                    """
                    SELECT COUNT(*) AS n FROM (SELECT action, detail FROM audit_pending UNION ALL SELECT action, detail FROM audit_log) AS a
                    WHERE action = 'auth.denied' AND detail LIKE 'csrf:%'
                    """
                ).first()?.decode(column: "n", as: Int64.self)
            }
        }

        func sessionRows() async throws -> [[String]] {
            try await controlPlane.store.read { db in
                try await db.raw("SELECT id_hash, token_hash, token_id FROM web_sessions").all().map { row in
                    [
                        try row.decode(column: "id_hash", as: String.self), try row.decode(column: "token_hash", as: String.self),
                        try row.decode(column: "token_id", as: String.self),
                    ]
                }
            }
        }
    }

    static func withSetup(_ database: TestDatabase = .sqlite, test: String = #function, _ body: (Setup) async throws -> Void) async throws {
        try await database.withLocation(maximumConnections: 4, test: test) { location in
            let clock = StepClock()
            let dataPlane = try LocalDataPlane(
                backends: [.init(id: "memory", connector: MemoryConnector(name: "ui-\(UUID().uuidString)"))],
                logger: TestLogs.silent
            )
            let controlPlane = try await ControlPlane.open(location, dataPlane: dataPlane, clock: { clock.now() }, logger: TestLogs.silent)
            try await withCleanup {
                let admin = try #require(try await controlPlane.auth.bootstrap()).token
                try await body(
                    Setup(
                        controlPlane: controlPlane,
                        api: APIHandlers(controlPlane: controlPlane, metrics: ServerMetrics()),
                        admin: admin,
                        clock: clock
                    )
                )
            } then: {
                await controlPlane.close()
            }
        }
    }

    /// Signs in with `token`; the session id (from `Set-Cookie`) and the CSRF token.
    static func signIn(
        _ client: any TestClientProtocol,
        _ token: String,
        headers extra: HTTPFields = [:]
    ) async throws -> (id: String, csrf: String) {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return try await client.execute(
            uri: "/ui/session",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: #"{"token":"\#(token)"}"#)
        ) { response in
            #expect(response.status == .created)
            let cookie = try #require(response.headers[.setCookie])
            let id = try #require(WebUICookie.sessionID(fromCookieHeader: String(cookie.split(separator: ";")[0])))
            let csrf = try #require(response.json()["csrfToken"] as? String)
            return (id, csrf)
        }
    }

    static func cookie(_ id: String, csrf: String? = nil, json: Bool = false) -> HTTPFields {
        var headers: HTTPFields = [.cookie: "other=1; \(WebUICookie.name)=\(id)"]
        if let csrf { headers[WebUICookie.csrfHeader] = csrf }
        if json { headers[.contentType] = "application/json" }
        return headers
    }

    static func expectUIHeaders(_ response: TestResponse, _ what: String) {
        let policy = response.headers[.contentSecurityPolicy] ?? ""
        #expect(policy.contains("frame-ancestors 'none'"), "\(what): \(policy)")
        #expect(
            policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
            "\(what): \(policy)"
        )
        #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(what)")
        #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", "\(what)")
    }

    @Test("/ redirects to /ui/, and every UI answer (pages, assets, 404, errors) carries the security headers")
    func headers() async throws {
        try await Self.withSetup { setup in
            try await setup.withClient { client in
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == "/ui/")
                    Self.expectUIHeaders(response, "/")
                }
                for (uri, status) in [
                    ("/ui/signin", HTTPResponse.Status.ok), ("/ui/assets/app.js", .ok), ("/ui/assets/app.css", .ok),
                    ("/ui/assets/nothing.js", .notFound), ("/ui/no/such/page", .notFound), ("/ui/session", .unauthorized),
                    ("/ui/", .seeOther), ("/ui/namespaces/team", .seeOther),
                ] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == status, "\(uri)")
                        Self.expectUIHeaders(response, uri)
                    }
                }
                try await client.execute(uri: "/ui/no/such/page", method: .get) { response in
                    #expect(String(buffer: response.body).contains("Page not found"))
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                }
                try await client.execute(uri: "/ui/signin", method: .get) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains(#"<script src="/ui/assets/app.js" defer></script>"#))
                    // No inline script, no other origin.
                    #expect(html.components(separatedBy: "<script").count == 2)
                    #expect(!html.contains("http://") && !html.contains("https://"))
                }
                try await client.execute(uri: "/ui/assets/app.js", method: .get) { response in
                    #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                    #expect(!String(buffer: response.body).contains("innerHTML"))
                }
            }
        }
    }

    @Test("the first page weighs at most 100 KB: shell, script and style together")
    func firstPageWeight() {
        let total = WebUIAssets.shellHTML.utf8.count + WebUIAssets.script.utf8.count + WebUIAssets.style.utf8.count
        #expect(total <= 100_000, "\(total) bytes")
    }

    @Test(
        "sign-in opens a server-side session: an HttpOnly SameSite=Strict cookie, and only hashes stored",
        arguments: TestDatabase.allCases
    )
    func signIn(database: TestDatabase) async throws {
        try await Self.withSetup(database) { setup in
            try await setup.withClient { client in
                try await client.execute(
                    uri: "/ui/session",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"token":"\#(setup.admin)"}"#)
                ) { response in
                    #expect(response.status == .created)
                    let cookie = response.headers[.setCookie] ?? ""
                    #expect(cookie.hasPrefix("\(WebUICookie.name)="))
                    #expect(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict") && cookie.contains("; Path=/"))
                    #expect(cookie.contains("Max-Age=28800"))
                    #expect(!cookie.contains("Secure"))
                    #expect(!String(buffer: response.body).contains(setup.admin))
                    Self.expectUIHeaders(response, "sign-in")
                }
                let (id, _) = try await Self.signIn(client, setup.admin, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
                let rows = try await setup.sessionRows()
                #expect(rows.count == 2)
                #expect(rows.contains { $0[0] == Digest.sha256(of: id.utf8).hex })
                for row in rows {
                    #expect(!row.contains(id) && !row.contains(setup.admin))
                    #expect(row[1] == Digest.sha256(of: setup.admin.utf8).hex)
                }
                try await client.execute(
                    uri: "/ui/session",
                    method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Forwarded-Proto")!: "https"],
                    body: ByteBuffer(string: #"{"token":"\#(setup.admin)"}"#)
                ) { response in
                    #expect(response.headers[.setCookie]?.hasSuffix("; Secure") == true)
                }
                try await client.execute(uri: "/ui/session", method: .get, headers: Self.cookie(id)) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    #expect(json["name"] as? String == "bootstrap-admin")
                    #expect(json["csrfToken"] as? String == WebSessions.csrfToken(for: id))
                    #expect(json["token"] == nil)
                }
                try await client.execute(uri: "/ui/namespaces", method: .get, headers: Self.cookie(id)) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("/ui/assets/app.js"))
                }
            }
        }
    }

    @Test("a refused sign-in (unknown token, a form body, another origin, bad JSON) stores no session")
    func signInRefusals() async throws {
        try await Self.withSetup { setup in
            try await setup.withClient { client in
                let unknown = "ast_0123456789abcdef_" + String(repeating: "0", count: 64)
                let cases: [(HTTPFields, String, HTTPResponse.Status, String)] = [
                    ([.contentType: "application/json"], #"{"token":"\#(unknown)"}"#, .unauthorized, "unauthenticated"),
                    ([.contentType: "application/json"], #"{"token":""}"#, .unauthorized, "unauthenticated"),
                    ([.contentType: "text/plain"], #"{"token":"\#(setup.admin)"}"#, .unsupportedMediaType, "unsupportedMediaType"),
                    ([:], #"{"token":"\#(setup.admin)"}"#, .unsupportedMediaType, "unsupportedMediaType"),
                    (
                        [.contentType: "application/json", .origin: "http://evil.example"], #"{"token":"\#(setup.admin)"}"#, .forbidden,
                        "forbidden"
                    ),
                    ([.contentType: "application/json"], #"{"tok"#, .badRequest, "badRequest"),
                ]
                for (headers, body, status, code) in cases {
                    try await client.execute(uri: "/ui/session", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                        response in
                        #expect(response.status == status, "\(headers) \(body)")
                        #expect(response.errorCode() == code)
                        #expect(response.headers[.setCookie] == nil)
                        Self.expectUIHeaders(response, "refused sign-in")
                    }
                }
                #expect(try await setup.sessionRows().isEmpty)
            }
        }
    }

    @Test(
        "the session cookie acts as its token on /v1, and a state-changing request needs the session's CSRF token",
        arguments: TestDatabase.allCases
    )
    func csrf(database: TestDatabase) async throws {
        try await Self.withSetup(database) { setup in
            let reader = try await setup.controlPlane.auth.createToken(
                name: "reader",
                grants: [.global(.read)],
                expiresAt: nil,
                context: RequestContext(actor: "test")
            ).token
            try await setup.withClient { client in
                let (id, csrf) = try await Self.signIn(client, setup.admin)
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie(id)) { response in
                    #expect(response.status == .ok)
                    #expect(response.json()["name"] as? String == "bootstrap-admin")
                }
                let body = ByteBuffer(string: #"{"name":"team"}"#)
                let other = try await Self.signIn(client, setup.admin)
                for headers in [
                    Self.cookie(id, json: true), Self.cookie(id, csrf: "", json: true), Self.cookie(id, csrf: other.csrf, json: true),
                    Self.cookie(id, csrf: String(csrf.dropLast()) + (csrf.hasSuffix("0") ? "1" : "0"), json: true),
                ] {
                    try await client.execute(uri: "/v1/namespaces", method: .post, headers: headers, body: body) { response in
                        #expect(response.status == .forbidden)
                        #expect(response.errorCode() == "forbidden")
                    }
                }
                try await client.execute(uri: "/v1/namespaces/team", method: .get, headers: TestRequest.bearer(setup.admin)) { response in
                    #expect(response.status == .notFound)
                }
                #expect(try await setup.csrfRefusalsAudited() == 4)
                let adminID = try Self.tokenID(setup.admin)
                try await client.execute(uri: "/v1/namespaces", method: .post, headers: Self.cookie(id, csrf: csrf, json: true), body: body)
                { response in
                    #expect(response.status == .created)
                    #expect(response.json()["createdBy"] as? String == "token:" + adminID)
                }
                // The same scopes as the token: a reader's session may read, not write.
                let readerSession = try await Self.signIn(client, reader)
                try await client.execute(uri: "/v1/namespaces/team", method: .get, headers: Self.cookie(readerSession.id)) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(
                    uri: "/v1/namespaces",
                    method: .post,
                    headers: Self.cookie(readerSession.id, csrf: readerSession.csrf, json: true),
                    body: ByteBuffer(string: #"{"name":"other"}"#)
                ) { response in
                    #expect(response.status == .forbidden)
                }
                // The cookie is not a credential for the OCI API, nor with an unknown session.
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie(String(repeating: "a", count: 64))) {
                    response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie("not-a-session")) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }

    static func tokenID(_ token: String) throws -> String {
        String(try #require(token.split(separator: "_").dropFirst().first))
    }

    @Test("a session expires on the injected clock: then sign-in page, 401 on /v1, never a 500; and never outlives its token")
    func expiry() async throws {
        try await Self.withSetup { setup in
            try await setup.withClient { client in
                let (id, _) = try await Self.signIn(client, setup.admin)
                setup.clock.advance(8 * 3600 - 1)
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie(id)) { #expect($0.status == .ok) }
                setup.clock.advance(1)
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie(id)) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/ui/session", method: .get, headers: Self.cookie(id)) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/ui/tokens", method: .get, headers: Self.cookie(id)) { response in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == "/ui/signin")
                }
                // A token that expires in an hour gives a session of an hour.
                let short = try await setup.controlPlane.auth.createToken(
                    name: "short",
                    grants: [.global(.read)],
                    expiresAt: setup.clock.now().addingTimeInterval(3600),
                    context: RequestContext(actor: "test")
                ).token
                let session = try await client.execute(
                    uri: "/ui/session",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"token":"\#(short)"}"#)
                ) { response in
                    #expect(response.headers[.setCookie]?.contains("Max-Age=3600;") == true)
                    return try #require(
                        WebUICookie.sessionID(fromCookieHeader: String((response.headers[.setCookie] ?? "").split(separator: ";")[0]))
                    )
                }
                setup.clock.advance(3600)
                try await client.execute(uri: "/ui/", method: .get, headers: Self.cookie(session)) { #expect($0.status == .seeOther) }
            }
        }
    }

    @Test("sign-out needs the CSRF token, deletes the session row and the cookie; revoking the token ends its sessions")
    func signOut() async throws {
        try await Self.withSetup { setup in
            let issued = try await setup.controlPlane.auth.createToken(
                name: "person",
                grants: [.global(.write)],
                expiresAt: nil,
                context: RequestContext(actor: "test")
            )
            try await setup.withClient { client in
                let (id, csrf) = try await Self.signIn(client, setup.admin)
                try await client.execute(uri: "/ui/session", method: .delete, headers: Self.cookie(id)) { response in
                    #expect(response.status == .forbidden)
                    Self.expectUIHeaders(response, "refused sign-out")
                }
                #expect(try await setup.sessionRows().count == 1)
                #expect(try await setup.csrfRefusalsAudited() == 1)
                try await client.execute(uri: "/ui/session", method: .delete, headers: Self.cookie(id, csrf: csrf)) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[.setCookie]?.contains("Max-Age=0;") == true)
                }
                #expect(try await setup.sessionRows().isEmpty)
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie(id)) { #expect($0.status == .unauthorized) }

                let person = try await Self.signIn(client, issued.token)
                try await setup.controlPlane.auth.revokeToken(id: issued.info.id, context: RequestContext(actor: "test"))
                try await client.execute(uri: "/ui/", method: .get, headers: Self.cookie(person.id)) { response in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == "/ui/signin")
                }
                try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.cookie(person.id)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode() == "tokenRevoked")
                }
            }
        }
    }

    @Test("pages: known paths are pages, everything else the 404 page; cookies parse strictly")
    func pagesAndCookies() {
        #expect(WebUIPage(path: "/ui") == .namespaces)
        #expect(WebUIPage(path: "/ui/") == .namespaces)
        #expect(WebUIPage(path: "/ui/signin") == .signIn)
        #expect(WebUIPage(path: "/ui/namespaces/team/artifacts/app/versions/1.0") == .version)
        #expect(WebUIPage(path: "/ui/namespaces/team/artifacts/app") == .artifact)
        #expect(WebUIPage(path: "/ui/namespaces/team/things/app") == nil)
        #expect(WebUIPage(path: "/ui/namespaces/team/artifacts/app%2Flinux/oci") == .ociRepository)
        #expect(WebUIPage(path: "/ui/namespaces/team/artifacts/app/ocx") == nil)
        #expect(WebUIPage(path: "/ui/namespaces/team/artifacts/app/versions/1.0/extra") == nil)
        #expect(WebUIPage(path: "/ui/admin") == nil)
        #expect(WebUICookie.sessionID(fromCookieHeader: "a=1; artifactstore_session=abc ; b=2") == "abc")
        #expect(WebUICookie.sessionID(fromCookieHeader: "xartifactstore_session=abc") == nil)
        #expect(WebUICookie.sessionID(fromCookieHeader: "artifactstore_session=") == nil)
        #expect(WebSessions.checkCSRF(WebSessions.csrfToken(for: "x"), sessionID: "x"))
        #expect(!WebSessions.checkCSRF(WebSessions.csrfToken(for: "y"), sessionID: "x"))
        #expect(!WebSessions.checkCSRF(nil, sessionID: "x"))
    }

    @Test(
        "GET /v1/namespaces/{ns}/usage: objects, files, bytes referenced and stored after dedup, summed in SQL",
        arguments: TestDatabase.allCases
    )
    func usage(database: TestDatabase) async throws {
        try await Self.withSetup(database) { setup in
            let context = RequestContext(actor: "test")
            let registry = setup.controlPlane.registry
            _ = try await registry.createNamespace("team", context: context)
            let big = try await registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: Array(repeating: UInt8(7), count: 1000))),
                context: context
            )
            let small = try await registry.ingestBlob(namespace: "team", ByteStream(ByteBuffer(string: "hello")), context: context)
            for version in ["1", "2", "3"] {
                _ = try await registry.commitVersion(
                    VersionManifest(
                        namespace: "team",
                        artifact: "app",
                        version: version,
                        files: [
                            FileEntry(path: "big.bin", address: big.address, mediaType: "application/octet-stream"),
                            FileEntry(path: "small.txt", address: small.address, mediaType: "text/plain"),
                        ]
                    ),
                    context: context
                )
            }
            let reader = try await setup.controlPlane.auth.createToken(
                name: "reader",
                grants: [Grant(.read, namespace: "team")],
                expiresAt: nil,
                context: context
            ).token
            try await setup.withClient { client in
                try await client.execute(uri: "/v1/namespaces/team/usage", method: .get, headers: TestRequest.bearer(reader)) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    #expect(json["objects"] as? Int == 2)
                    #expect(json["files"] as? Int == 6)
                    #expect(json["bytesReferenced"] as? Int == 3015)
                    #expect(json["bytesStored"] as? Int == 1005)
                    #expect(json["dedupRatio"] as? Double == 3.0)
                }
                try await client.execute(uri: "/v1/namespaces/none/usage", method: .get, headers: TestRequest.bearer(setup.admin)) {
                    response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(uri: "/v1/namespaces/team/usage", method: .get) { #expect($0.status == .unauthorized) }
            }
            _ = try await registry.createNamespace("empty", context: context)
            let empty = try await registry.usage(namespace: "empty")
            #expect(empty == NamespaceUsage(namespace: "empty", objects: 0, files: 0, bytesReferenced: 0, bytesStored: 0))
            #expect(empty.dedupRatio == 1)
        }
    }

    @Test(
        "GC and retention runs are recorded (not dry runs), newest first, 50 kept, listed by /v1/maintenance/runs",
        arguments: TestDatabase.allCases
    )
    func maintenanceRuns(database: TestDatabase) async throws {
        try await Self.withSetup(database) { setup in
            let controlPlane = setup.controlPlane
            _ = try await controlPlane.garbageCollector.collect()
            setup.clock.advance(1)
            _ = try await controlPlane.garbageCollector.collect(dryRun: true)
            _ = try await controlPlane.retention.applyAll()
            let runs = try await controlPlane.maintenanceRuns.list()
            #expect(runs.items.map(\.kind) == [.retention, .garbageCollection])
            #expect(runs.items.last?.summary["blobsDeleted"] == 0)
            #expect(runs.items.first?.summary["namespaces"] == 0)
            try await setup.withClient { client in
                let admin = TestRequest.bearer(setup.admin)
                let next = try await client.execute(uri: "/v1/maintenance/runs?limit=1", method: .get, headers: admin) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    let items = try #require(json["items"] as? [[String: Any]])
                    #expect(items.first?["kind"] as? String == "retention")
                    return try #require(json["nextCursor"] as? String)
                }
                try await client.execute(uri: "/v1/maintenance/runs?limit=1&cursor=\(next)", method: .get, headers: admin) { response in
                    let items = response.json()["items"] as? [[String: Any]]
                    #expect(items?.first?["kind"] as? String == "garbageCollection")
                }
                try await client.execute(uri: "/v1/maintenance/runs?kind=garbageCollection", method: .get, headers: admin) { response in
                    #expect((response.json()["items"] as? [[String: Any]])?.count == 1)
                }
                try await client.execute(uri: "/v1/maintenance/runs?kind=nightly", method: .get, headers: admin) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "badRequest")
                }
            }
            for _ in 0..<(MaintenanceRuns.kept + 5) {
                setup.clock.advance(1)
                await controlPlane.maintenanceRuns.record(.garbageCollection, startedAt: 0, summary: ["blobsDeleted": 1])
            }
            let kept = try await controlPlane.maintenanceRuns.list(kind: .garbageCollection, page: .first(1000)).items
            #expect(kept.count == MaintenanceRuns.kept)
            #expect(kept.allSatisfy { $0.summary == ["blobsDeleted": 1] })
            #expect(try await controlPlane.maintenanceRuns.list(kind: .retention).items.count == 1)
        }
    }

    @Test(
        "GET /v1/namespaces/{ns}/artifacts?prefix= keeps the names that start with it, paged; a bad prefix is invalidName",
        arguments: TestDatabase.allCases
    )
    func artifactPrefix(database: TestDatabase) async throws {
        try await Self.withSetup(database) { setup in
            let context = RequestContext(actor: "test")
            let registry = setup.controlPlane.registry
            _ = try await registry.createNamespace("team", context: context)
            let blob = try await registry.ingestBlob(namespace: "team", ByteStream(ByteBuffer(string: "x")), context: context)
            for artifact in ["app", "app/linux", "app/macos", "apple", "tool", "zapp"] {
                _ = try await registry.commitVersion(
                    VersionManifest(
                        namespace: "team",
                        artifact: artifact,
                        version: "1",
                        files: [FileEntry(path: "f", address: blob.address, mediaType: "text/plain")]
                    ),
                    context: context
                )
            }
            let first = try await registry.listArtifacts(namespace: "team", page: .first(2), prefix: "app/")
            #expect(first.items.map(\.name) == ["app/linux", "app/macos"])
            #expect(
                try await registry.listArtifacts(namespace: "team", prefix: "app").items.map(\.name) == [
                    "app", "app/linux", "app/macos", "apple",
                ]
            )
            #expect(try await registry.listArtifacts(namespace: "team", prefix: "Ä").items.isEmpty)
            #expect(try await registry.listArtifacts(namespace: "team", prefix: "APP").items.isEmpty)
            #expect(try await registry.listArtifacts(namespace: "team", prefix: "").items.count == 6)
            let paged = try await registry.listArtifacts(namespace: "team", page: .first(3), prefix: "app")
            let rest = try await registry.listArtifacts(
                namespace: "team",
                page: PageRequest(limit: 3, cursor: paged.nextCursor),
                prefix: "app"
            )
            #expect(paged.items.count + rest.items.count == 4 && rest.nextCursor == nil)
            try await setup.withClient { client in
                let admin = TestRequest.bearer(setup.admin)
                try await client.execute(uri: "/v1/namespaces/team/artifacts?prefix=app%2F", method: .get, headers: admin) { response in
                    #expect(
                        (response.json()["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["app/linux", "app/macos"]
                    )
                }
                for bad in ["%E2%80%8Bapp", String(repeating: "a", count: 257)] {
                    try await client.execute(uri: "/v1/namespaces/team/artifacts?prefix=\(bad)", method: .get, headers: admin) { response in
                        #expect(response.status == .badRequest)
                        #expect(response.errorCode() == "invalidName")
                    }
                }
            }
        }
    }
}
