public import ArtifactIdentity
public import ArtifactStoreAPI
import AsyncHTTPClient
import NIOHTTP1

extension ArtifactStoreClient {
    /// The legal holds in `namespace`.
    public func holds(in namespace: String) async throws -> [LegalHold] {
        try await listAll(["namespaces", namespace, "holds"], as: LegalHold.self)
    }

    /// The retention policies of `namespace`.
    public func retentionPolicies(in namespace: String) async throws -> [RetentionPolicy] {
        try await listAll(["namespaces", namespace, "retention-policies"], as: RetentionPolicy.self)
    }

    /// Creates or replaces the policy `policy.name` of `policy.namespace`.
    public func setRetentionPolicy(_ policy: RetentionPolicy) async throws -> RetentionPolicy {
        let body = SetPolicyBody(
            artifactGlob: policy.artifactGlob,
            keepLast: policy.keepLast,
            maxAgeSeconds: policy.maxAgeSeconds,
            protectTagged: policy.protectTagged
        )
        return try await send(
            makeRequest(.PUT, ["namespaces", policy.namespace, "retention-policies", policy.name]),
            body: body,
            expected: [200, 201]
        )
    }

    public func deleteRetentionPolicy(_ name: String, in namespace: String) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, ["namespaces", namespace, "retention-policies", name]))
    }

    /// Applies `namespace`'s policies, or with `dryRun` reports what they would delete.
    public func evaluateRetention(in namespace: String, dryRun: Bool) async throws -> RetentionReport {
        try await send(makeRequest(.POST, ["namespaces", namespace, "retention", "evaluate"], query: [("dryRun", String(dryRun))]))
    }

    /// Has the server re-read one blob of `namespace` and check it against its digest.
    public func verifyBlob(_ digest: Digest, in namespace: String) async throws -> JSONValue {
        try await send(makeRequest(.POST, ["namespaces", namespace, "blobs", digest.description, "verify"]))
    }

    /// Verifies one page of live blobs store-wide (`limit` at most, after `cursor`).
    public func scrub(limit: Int = 100, cursor: String? = nil) async throws -> JSONValue {
        var query = [("limit", String(limit))]
        if let cursor { query.append(("cursor", cursor)) }
        return try await send(makeRequest(.POST, ["scrub"], query: query))
    }
}

extension ArtifactStoreClient {
    /// Every proxy namespace (docs/oci.md, "Proxy namespaces"); never their passwords.
    public func proxies() async throws -> [ProxyNamespace] {
        try await listAll(["proxies"], as: ProxyNamespace.self)
    }

    /// Makes `namespace` (created if absent) a pull-through cache of `body.upstream`.
    public func setProxy(_ namespace: String, _ body: SetProxyBody) async throws -> ProxyNamespace {
        try await send(makeRequest(.PUT, ["proxies", namespace]), body: body, expected: [200])
    }

    /// Makes the proxy namespace `namespace` ordinary again (its cached content stays).
    public func deleteProxy(_ namespace: String) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, ["proxies", namespace]))
    }
}

extension ArtifactStoreClient {
    /// Every replication rule with its status (docs/replication.md); never their passwords.
    public func replications() async throws -> [ReplicationRule] {
        try await listAll(["replications"], as: ReplicationRule.self)
    }

    /// One replication rule with its status.
    public func replication(_ name: String) async throws -> ReplicationRule {
        try await send(makeRequest(.GET, ["replications", name]))
    }

    /// Creates a replication rule.
    public func createReplication(_ body: CreateReplicationBody) async throws -> ReplicationRule {
        try await send(makeRequest(.POST, ["replications"]), body: body, expected: [201])
    }

    /// Deletes a replication rule and its pending items.
    public func deleteReplication(_ name: String) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, ["replications", name]))
    }
}
