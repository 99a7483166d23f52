import ArtifactOCI
import Testing

@testable import ArtifactServer

/// ``OCIRoute/parse(path:defaultNamespace:)``, which every `/v2` request goes through: which
/// endpoint a raw path names, each segment percent-decoded once, and the refusals before anything
/// is read. The HTTP answers around it are covered through a server in `OCIDistributionAPITests`
/// and `OCIBadInputTests`.
@Suite("OCI route parsing", .timeLimit(.minutes(10)))
struct OCIRouteTests {
    static func repository(_ namespace: String, _ artifact: String) -> OCIRepositoryName {
        OCIRepositoryName(namespace: namespace, artifact: artifact)
    }

    @Test("each endpoint is read from the path's end; what precedes it is the repository")
    func endpoints() throws {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        #expect(try OCIRoute.parse(path: "/v2") == .base)
        #expect(try OCIRoute.parse(path: "/v2/") == .base)
        #expect(try OCIRoute.parse(path: "/v2/_catalog") == .catalog)
        #expect(try OCIRoute.parse(path: "/v2/token") == .token)
        #expect(try OCIRoute.parse(path: "/v2/team/app/tags/list") == .tags(Self.repository("team", "app")))
        #expect(try OCIRoute.parse(path: "/v2/team/app/manifests/v1") == .manifest(Self.repository("team", "app"), reference: "v1"))
        #expect(try OCIRoute.parse(path: "/v2/team/a/b/blobs/\(digest)") == .blob(Self.repository("team", "a/b"), digest: digest))
        #expect(try OCIRoute.parse(path: "/v2/team/app/blobs/uploads/") == .uploads(Self.repository("team", "app")))
        #expect(try OCIRoute.parse(path: "/v2/team/app/blobs/uploads/u1") == .upload(Self.repository("team", "app"), id: "u1"))
        #expect(try OCIRoute.parse(path: "/v2/team/app/referrers/\(digest)") == .referrers(Self.repository("team", "app"), digest: digest))
    }

    @Test("a trailing slash is no segment; an empty segment inside the name is NAME_INVALID")
    func emptySegments() throws {
        let digest = "sha256:" + String(repeating: "c", count: 64)
        #expect(try OCIRoute.parse(path: "/v2/team/app/tags/list/") == .tags(Self.repository("team", "app")))
        #expect(try OCIRoute.parse(path: "/v2/team/app/blobs/\(digest)/") == .blob(Self.repository("team", "app"), digest: digest))
        #expect(try OCIRoute.parse(path: "/v2/team/app/blobs/uploads") == .uploads(Self.repository("team", "app")))
        #expect(try OCIRoute.parse(path: "/v2/team/app/manifests/") == nil)
        #expect(try OCIRoute.parse(path: "/v2/_catalog/") == .catalog)
        #expect(try OCIRoute.parse(path: "/v2/tags/list") == nil)
        for path in ["/v2/team//app/tags/list", "/v2//team/app/tags/list", "/v2/team/app//blobs/\(digest)"] {
            #expect(throws: OCIError.self, "\(path)") { try OCIRoute.parse(path: path) }
        }
        // A decoded path is read the same way: the name keeps its components, the digest its `:`.
        #expect(
            try OCIRoute.parse(path: "/v2/te%61m/a/b/blobs/sha256%3A\(digest.dropFirst(7))")
                == .blob(Self.repository("team", "a/b"), digest: digest)
        )
    }

    @Test("a path that names no endpoint is nil, not an error")
    func notEndpoints() throws {
        #expect(try OCIRoute.parse(path: "/v1/namespaces") == nil)
        #expect(try OCIRoute.parse(path: "/v2x/team/app/tags/list") == nil)
        #expect(try OCIRoute.parse(path: "/v2/team/app") == nil)
        #expect(try OCIRoute.parse(path: "/v2/team/app/other/thing") == nil)
    }

    @Test("segments are percent-decoded once: %3A is ':', %25 stays a literal '%' after one decode")
    func percentDecoding() throws {
        let hex = String(repeating: "b", count: 64)
        #expect(
            try OCIRoute.parse(path: "/v2/team/app/blobs/sha256%3A\(hex)") == .blob(Self.repository("team", "app"), digest: "sha256:\(hex)")
        )
        #expect(try OCIRoute.parse(path: "/v2/team/app/manifests/v%2541") == .manifest(Self.repository("team", "app"), reference: "v%41"))
        #expect(try OCIRoute.parse(path: "/v2/t%65am/app/tags/list") == .tags(Self.repository("team", "app")))
    }

    @Test(
        "a segment that does not decode, decodes to '/', or holds an invisible character is NAME_INVALID",
        arguments: [
            "/v2/team/app/manifests/v%2", "/v2/team/app/manifests/v%zz", "/v2/team/a%2Fb/tags/list", "/v2/team/app/manifests/%FF",
            "/v2/team/app/manifests/v%E2%80%8B1", "/v2/team/app/manifests/v\u{200B}1", "/v2/team/app/manifests/v%C2%A0",
        ]
    )
    func refusedSegments(_ path: String) {
        #expect(throws: OCIError.self) { try OCIRoute.parse(path: path) }
        do {
            _ = try OCIRoute.parse(path: path)
        } catch {
            #expect(error.kind == .nameInvalid)
        }
    }

    @Test("a single-component name goes into the default namespace only when there is one")
    func defaultNamespace() throws {
        guard case .tags(let repository) = try OCIRoute.parse(path: "/v2/app/tags/list", defaultNamespace: "library") else {
            Issue.record("/v2/app/tags/list is no tags route")
            return
        }
        #expect(repository.namespace == "library" && repository.artifact == "app" && repository.name == "app")
        #expect(throws: OCIError.self) { try OCIRoute.parse(path: "/v2/app/tags/list") }
        #expect(throws: OCIError.self) { try OCIRoute.parse(path: "/v2/Team/app/tags/list") }
    }
}
