public import ArtifactStoreAPI
import AsyncHTTPClient
public import Foundation
import NIOHTTP1

extension ArtifactStoreClient {
    /// The most items asked for per page when a list is read whole.
    static let pageLimit = 1000

    /// Reads every page of the list at `segments`, in order.
    func listAll<Item: Sendable & Codable>(_ segments: [String], query: [(String, String)] = [], as: Item.Type) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String? = nil
        repeat {
            var pageQuery = query + [("limit", String(Self.pageLimit))]
            if let cursor { pageQuery.append(("cursor", cursor)) }
            let page: PageBody<Item> = try await send(makeRequest(.GET, segments, query: pageQuery))
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }

    // MARK: Identity

    /// The token this client sends, as the server sees it (`GET /v1/whoami`).
    public func whoami() async throws -> WhoAmIBody {
        try await send(makeRequest(.GET, ["whoami"]))
    }

    // MARK: Namespaces

    public func namespaces() async throws -> [Namespace] {
        try await listAll(["namespaces"], as: Namespace.self)
    }

    public func namespace(_ name: String) async throws -> Namespace {
        try await send(makeRequest(.GET, ["namespaces", name]))
    }

    public func createNamespace(_ name: String, immutableTags: Bool = false, publicRead: Bool = false) async throws -> Namespace {
        try await send(
            makeRequest(.POST, ["namespaces"]),
            body: CreateNamespaceBody(name: name, immutableTags: immutableTags, publicRead: publicRead),
            expected: [201, 200]
        )
    }

    /// Lets anyone read `name` without a token (`true`), or only token holders (`false`).
    public func setPublicRead(_ name: String, _ publicRead: Bool) async throws -> Namespace {
        try await updateNamespace(name, UpdateNamespaceBody(publicRead: publicRead))
    }

    /// Changes the settings `settings` names (an absent one stays as it is); the namespace as it now is.
    public func updateNamespace(_ name: String, _ settings: UpdateNamespaceBody) async throws -> Namespace {
        try await send(makeRequest(.PUT, ["namespaces", name, "settings"]), body: settings)
    }

    /// What `name` holds and its quota (`GET /v1/namespaces/{ns}/usage`).
    public func usage(of name: String) async throws -> NamespaceUsage {
        try await send(makeRequest(.GET, ["namespaces", name, "usage"]))
    }

    // MARK: Artifacts and versions

    public func artifacts(in namespace: String) async throws -> [Artifact] {
        try await listAll(["namespaces", namespace, "artifacts"], as: Artifact.self)
    }

    public func versions(of artifact: String, in namespace: String) async throws -> [VersionSummary] {
        try await listAll(["namespaces", namespace, "artifacts", artifact, "versions"], as: VersionSummary.self)
    }

    static func versionPath(_ reference: ArtifactReference) -> [String] {
        ["namespaces", reference.namespace, "artifacts", reference.artifact, "versions", reference.version]
    }

    public func version(_ reference: ArtifactReference) async throws -> ArtifactVersion {
        try await send(makeRequest(.GET, Self.versionPath(reference)))
    }

    /// Commits a version whose blobs are already uploaded (linked) into its namespace.
    public func commitVersion(
        _ reference: ArtifactReference,
        files: [CommitVersionBody.File],
        labels: [String: String] = [:]
    ) async throws -> ArtifactVersion {
        try await send(
            makeRequest(.PUT, Self.versionPath(reference)),
            body: CommitVersionBody(files: files, labels: labels),
            expected: [201, 200]
        )
    }

    public func deleteVersion(_ reference: ArtifactReference) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, Self.versionPath(reference)))
    }

    /// Server-side verification of every file of a version against its address.
    public func verifyVersion(_ reference: ArtifactReference) async throws -> JSONValue {
        try await send(makeRequest(.POST, Self.versionPath(reference) + ["verify"]))
    }

    // MARK: Tags

    public func tags(of artifact: String, in namespace: String) async throws -> [Tag] {
        try await listAll(["namespaces", namespace, "artifacts", artifact, "tags"], as: Tag.self)
    }

    public func tag(_ name: String, of artifact: String, in namespace: String) async throws -> Tag {
        try await send(makeRequest(.GET, ["namespaces", namespace, "artifacts", artifact, "tags", name]))
    }

    /// Points tag `name` at the version `reference` names.
    public func setTag(_ name: String, to reference: ArtifactReference) async throws -> Tag {
        struct Body: Codable { var version: String }
        return try await send(
            makeRequest(.PUT, ["namespaces", reference.namespace, "artifacts", reference.artifact, "tags", name]),
            body: Body(version: reference.version),
            expected: [200, 201]
        )
    }

    public func deleteTag(_ name: String, of artifact: String, in namespace: String) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, ["namespaces", namespace, "artifacts", artifact, "tags", name]))
    }

    /// The version `reference.version` names: a version of that name if there is one, else the
    /// version the tag of that name points to.
    public func resolve(_ reference: ArtifactReference) async throws -> ArtifactVersion {
        do {
            return try await version(reference)
        } catch let error as ClientError where error.status == 404 {
            let tag: Tag
            do {
                tag = try await self.tag(reference.version, of: reference.artifact, in: reference.namespace)
            } catch let tagError as ClientError where tagError.serverCode == .tagNotFound {
                throw ClientError(
                    .versionNotFound,
                    message: "\(reference) names no version and no tag of \(reference.namespace)/\(reference.artifact)",
                    status: 404
                )
            } catch let tagError as ClientError where tagError.status == 404 {
                throw error
            }
            var target = reference
            target.version = tag.version
            return try await version(target)
        }
    }

    // MARK: Holds

    public func hold(_ reference: ArtifactReference, reason: String) async throws -> LegalHold {
        struct Body: Codable { var reason: String }
        return try await send(makeRequest(.PUT, Self.versionPath(reference) + ["hold"]), body: Body(reason: reason), expected: [201, 200])
    }

    public func release(_ reference: ArtifactReference) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, Self.versionPath(reference) + ["hold"]))
    }

    // MARK: Store-wide

    /// Runs garbage collection (or, with `dryRun`, reports what it would delete).
    public func collectGarbage(dryRun: Bool) async throws -> JSONValue {
        try await send(makeRequest(.POST, ["gc"], query: [("dryRun", String(dryRun))]))
    }

    public func verifyAuditChain() async throws -> JSONValue {
        try await send(makeRequest(.GET, ["audit", "verify"]))
    }

    // MARK: Tokens

    public func createToken(name: String, grants: [Grant], expiresAt: Date? = nil) async throws -> IssuedTokenBody {
        let body = CreateTokenBody(name: name, grants: grants, expiresAt: expiresAt)
        return try await send(makeRequest(.POST, ["tokens"]), body: body, expected: [201, 200])
    }

    public func tokens() async throws -> [TokenInfo] {
        try await listAll(["tokens"], as: TokenInfo.self)
    }

    public func revokeToken(id: String) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, ["tokens", id]))
    }
}
