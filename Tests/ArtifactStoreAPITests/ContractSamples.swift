import ArtifactIdentity
import ArtifactStoreAPI
import Foundation

/// One value of a contract type per schema of `openapi.yaml`: with every optional field set, and
/// with none set.
struct ContractSample: Sendable {
    var schema: String
    var full: any Encodable & Sendable
    var minimal: any Encodable & Sendable

    init(_ schema: String, full: any Encodable & Sendable, minimal: (any Encodable & Sendable)? = nil) {
        self.schema = schema
        self.full = full
        self.minimal = minimal ?? full
    }
}

enum ContractSamples {
    /// Schemas whose Swift type carries data-plane values (`BackendStatus`, the blob verification
    /// result), which the contract does not depend on: the server's OpenAPI tests check them.
    static let checkedByServerTests: Set<String> = ["Readiness", "BackendStatus", "VerifyResult"]

    static let date = Date(timeIntervalSince1970: 1_800_000_000.125)
    static let sha256 = Digest.sha256(of: Array("hello".utf8))
    static let blake3 = Digest.blake3(of: Array("hello".utf8))
    static let address = ContentAddress(blake3)

    static let bareNamespace = Namespace(name: "team", immutableTags: false, createdBy: "t", createdAt: date)
    static let namespace = Namespace(
        name: "team",
        immutableTags: true,
        quotaBytes: 10 << 30,
        createdBy: "token:0123456789abcdef",
        createdAt: date
    )
    static let artifact = Artifact(namespace: "team", name: "app/linux", createdAt: date)
    static let summary = VersionSummary(
        namespace: "team",
        artifact: "app/linux",
        version: "1.0",
        creator: "token:0123456789abcdef",
        createdAt: date,
        labels: ["os": "linux"],
        fileCount: 1,
        totalSize: 5
    )
    static let file = VersionFile(path: "bin/app", address: address, size: 5, mediaType: "application/octet-stream")
    static let tag = Tag(
        namespace: "team",
        artifact: "app/linux",
        name: "stable",
        version: "1.0",
        updatedBy: "token:0123456789abcdef",
        updatedAt: date
    )
    static let hold = LegalHold(
        namespace: "team",
        artifact: "app/linux",
        version: "1.0",
        reason: "audit",
        createdBy: "token:x",
        createdAt: date
    )
    static let policy = RetentionPolicy(namespace: "team", name: "nightly", artifactGlob: "**", keepLast: 5, maxAgeSeconds: 86_400)
    static let barePolicy = RetentionPolicy(namespace: "team", name: "nightly")
    static let proxy = ProxyNamespace(
        namespace: "hub",
        upstream: "https://registry.example.org",
        prefix: "library/",
        allow: ["**"],
        deny: ["private/**"],
        redirectHosts: ["cdn.example.org"],
        tagTTLSeconds: 300,
        username: "ci",
        hasPassword: true,
        evictUnusedAfterSeconds: 86_400
    )
    static let replicationStatus = ReplicationStatus(
        lastSuccessAt: date,
        lastRunAt: date,
        lastError: "the remote answered 503",
        lastErrorAt: date,
        pending: 2,
        dead: 1,
        lagSeconds: 40
    )
    static let replication = ReplicationRule(
        name: "to-dr",
        direction: .push,
        remote: "https://dr.example.org",
        repositories: "team/**",
        intervalSeconds: 300,
        username: "ci",
        hasPassword: true,
        createdBy: "token:x",
        createdAt: date,
        status: replicationStatus
    )
    static let bareReplication = ReplicationRule(
        name: "from-hub",
        direction: .pull,
        remote: "https://hub.example.org",
        repositories: "mirror/*",
        intervalSeconds: 60,
        createdBy: "token:x",
        createdAt: date
    )
    static let decision = RetentionDecision(
        namespace: "team",
        artifact: "app/linux",
        version: "0.9",
        createdAt: date,
        action: .delete,
        reason: "policy \"nightly\": not among the 5 newest"
    )
    static let token = TokenInfo(
        id: "0123456789abcdef",
        name: "ci",
        grants: [Grant(.write, namespace: "team")],
        createdBy: "token:x",
        createdAt: date,
        expiresAt: date,
        revokedAt: date
    )
    static let bareToken = TokenInfo(
        id: "0123456789abcdef",
        name: "ci",
        grants: [.global(.admin)],
        createdBy: "token:x",
        createdAt: date,
        expiresAt: nil,
        revokedAt: nil
    )
    static let webhook = WebhookEndpoint(
        id: "wh-0123456789abcdef",
        namespace: "team",
        url: "https://hooks.example/in",
        events: [.push, .tagMove],
        createdBy: "token:x",
        createdAt: date
    )
    static let delivery = WebhookDelivery(
        id: "e1/wh-0123456789abcdef",
        eventID: "e1",
        endpointID: "wh-0123456789abcdef",
        event: "push",
        state: .pending,
        attempts: 2,
        createdAt: date,
        nextAttemptAt: date,
        deliveredAt: date,
        lastStatus: 503,
        lastError: "the endpoint answered 503"
    )
    static let bareDelivery = WebhookDelivery(
        id: "e1/wh-0123456789abcdef",
        eventID: "e1",
        endpointID: "wh-0123456789abcdef",
        event: "push",
        state: .delivered,
        attempts: 1,
        createdAt: date,
        nextAttemptAt: nil,
        deliveredAt: nil,
        lastStatus: nil,
        lastError: nil
    )

    static let all: [ContractSample] = [
        ContractSample(
            "WebhookCreate",
            full: WebhookCreateBody(url: "https://hooks.example/in", secret: "s", events: ["push"]),
            minimal: WebhookCreateBody(url: "https://hooks.example/in", secret: "s")
        ),
        ContractSample("WebhookEndpoint", full: webhook),
        ContractSample("WebhookDelivery", full: delivery, minimal: bareDelivery),
        ContractSample(
            "WebhookEndpointPage",
            full: PageBody(items: [webhook], nextCursor: "c"),
            minimal: PageBody(items: [webhook], nextCursor: nil)
        ),
        ContractSample(
            "WebhookDeliveryPage",
            full: PageBody(items: [delivery], nextCursor: "c"),
            minimal: PageBody(items: [bareDelivery], nextCursor: nil)
        ),
        ContractSample(
            "Error",
            full: ErrorBody(code: "internalError", message: "the server failed", requestID: "r1"),
            minimal: ErrorBody(code: "namespaceNotFound", message: "no namespace \"team\"")
        ),
        ContractSample("Health", full: HealthBody(status: "ok")),
        ContractSample("Namespace", full: namespace, minimal: bareNamespace),
        ContractSample(
            "MaintenanceRun",
            full: MaintenanceRun(id: "1796557866313-0a1b2c3d", kind: .garbageCollection, startedAt: date, finishedAt: date, summary: [:])
        ),
        ContractSample(
            "MaintenanceRunPage",
            full: PageBody(
                items: [
                    MaintenanceRun(
                        id: "1796557866313-0a1b2c3d",
                        kind: .retention,
                        startedAt: date,
                        finishedAt: date,
                        summary: ["deleted": 2]
                    )
                ],
                nextCursor: "c"
            ),
            minimal: PageBody<MaintenanceRun>(items: [], nextCursor: nil)
        ),
        ContractSample(
            "NamespaceUsage",
            full: NamespaceUsage(namespace: "team", objects: 2, files: 6, bytesReferenced: 3015, bytesStored: 1005, quotaBytes: 4096),
            minimal: NamespaceUsage(namespace: "team", objects: 0, files: 0, bytesReferenced: 0, bytesStored: 0)
        ),
        ContractSample(
            "NamespaceCreate",
            full: CreateNamespaceBody(name: "team", immutableTags: true, publicRead: true),
            minimal: CreateNamespaceBody(name: "team")
        ),
        ContractSample(
            "NamespaceUpdate",
            full: UpdateNamespaceBody(publicRead: true, downloadRedirects: false, quota: .bytes(1 << 30)),
            minimal: UpdateNamespaceBody()
        ),
        ContractSample("Blob", full: BlobBody(address: address, size: 5, sha256: sha256, blake3: blake3, deduplicated: false)),
        ContractSample("Artifact", full: artifact),
        ContractSample("VersionSummary", full: summary),
        ContractSample("VersionFile", full: file),
        ContractSample("ArtifactVersion", full: ArtifactVersion(summary: summary, files: [file])),
        ContractSample(
            "VersionCommit",
            full: CommitVersionBody(files: [.init(path: "bin/app", address: address, mediaType: "text/plain")], labels: ["os": "linux"]),
            minimal: CommitVersionBody(files: [.init(path: "bin/app", address: address)])
        ),
        ContractSample(
            "VersionVerify",
            full: VersionVerifyBody(
                verified: false,
                files: [.init(path: "bin/app", address: address, verified: false, mismatch: "size 4, not 5")]
            ),
            minimal: VersionVerifyBody(verified: true, files: [.init(path: "bin/app", address: address, verified: true)])
        ),
        ContractSample("Tag", full: tag),
        ContractSample("TagSet", full: SetTagBody(version: "1.0")),
        ContractSample("LegalHold", full: hold),
        ContractSample("HoldPlace", full: PlaceHoldBody(reason: "audit")),
        ContractSample("RetentionPolicy", full: policy, minimal: barePolicy),
        ContractSample(
            "ProxySet",
            full: SetProxyBody(
                upstream: "https://registry.example.org",
                prefix: "library/",
                allow: ["**"],
                deny: ["private/**"],
                redirectHosts: ["cdn.example.org"],
                tagTTLSeconds: 300,
                username: "ci",
                password: "secret",
                evictUnusedAfterSeconds: 86_400
            ),
            minimal: SetProxyBody(upstream: "https://registry.example.org")
        ),
        ContractSample("ProxyNamespace", full: proxy, minimal: ProxyNamespace(namespace: "hub", upstream: "https://registry.example.org")),
        ContractSample(
            "ReplicationCreate",
            full: CreateReplicationBody(
                name: "to-dr",
                pushTo: "https://dr.example.org",
                pullFrom: "https://hub.example.org",
                repositories: "team/**",
                intervalSeconds: 60,
                username: "ci",
                password: "secret"
            ),
            minimal: CreateReplicationBody(name: "to-dr", repositories: "team/**")
        ),
        ContractSample("ReplicationStatus", full: replicationStatus, minimal: ReplicationStatus()),
        ContractSample("ReplicationRule", full: replication, minimal: bareReplication),
        ContractSample(
            "ReplicationRulePage",
            full: PageBody(items: [replication], nextCursor: "c"),
            minimal: PageBody<ReplicationRule>(items: [], nextCursor: nil)
        ),
        ContractSample(
            "ProxyNamespacePage",
            full: PageBody(items: [proxy], nextCursor: "c"),
            minimal: PageBody<ProxyNamespace>(items: [], nextCursor: nil)
        ),
        ContractSample(
            "PolicySet",
            full: SetPolicyBody(artifactGlob: "app/**", keepLast: 5, maxAgeSeconds: 3_600, protectTagged: false),
            minimal: SetPolicyBody()
        ),
        ContractSample("RetentionDecision", full: decision),
        ContractSample(
            "RetentionReport",
            full: RetentionReport(namespace: "team", dryRun: true, decisions: [decision], versionsExamined: 3)
        ),
        ContractSample(
            "GarbageCollectionReport",
            full: GarbageCollectionBody(
                ran: true,
                dryRun: false,
                linksExpired: 1,
                blobsMarked: 2,
                blobsDeleted: 3,
                bytesDeleted: 4,
                deletionsFailed: 0
            )
        ),
        ContractSample(
            "ScrubReport",
            full: ScrubBody(
                checked: 2,
                corrupted: [ScrubFinding(address: address, backendID: "default", mismatch: "blake3 differs")],
                collected: 1,
                garbageCollectionRunning: false,
                nextCursor: "c"
            ),
            minimal: ScrubBody(checked: 0, corrupted: [], collected: 0, garbageCollectionRunning: false, nextCursor: nil)
        ),
        ContractSample(
            "AuditChainReport",
            full: AuditChainBody(
                intact: false,
                recordsChecked: 7,
                recordsPending: 1,
                firstFault: .init(sequence: 3, reason: "chainBroken", message: "record 3 does not follow 2", pendingID: "p1")
            ),
            minimal: AuditChainBody(intact: true, recordsChecked: 7, recordsPending: 0)
        ),
        ContractSample("Grant", full: Grant(.read, namespace: "team"), minimal: Grant.global(.admin)),
        ContractSample("TokenInfo", full: token, minimal: bareToken),
        ContractSample(
            "TokenCreate",
            full: CreateTokenBody(name: "ci", grants: [Grant(.write, namespace: "team")], expiresAt: date),
            minimal: CreateTokenBody(name: "ci", grants: [.global(.read)])
        ),
        ContractSample(
            "IssuedToken",
            full: IssuedTokenBody(token: "ast_0123456789abcdef_secret", info: token),
            minimal: IssuedTokenBody(token: "ast_0123456789abcdef_secret", info: bareToken)
        ),
        ContractSample(
            "OIDCClientConfiguration",
            full: OIDCClientConfigurationBody(
                issuer: "https://id.example.org",
                providerName: "SSO",
                clientID: "cli",
                deviceAuthorizationEndpoint: "https://id.example.org/device",
                tokenEndpoint: "https://id.example.org/token",
                scopes: ["openid"]
            ),
            minimal: OIDCClientConfigurationBody(
                issuer: "https://id.example.org",
                providerName: "SSO",
                clientID: "cli",
                deviceAuthorizationEndpoint: nil,
                tokenEndpoint: "https://id.example.org/token",
                scopes: ["openid"]
            )
        ),
        ContractSample(
            "OIDCTokenExchange",
            full: OIDCTokenExchangeBody(idToken: "a.b.c", accessToken: "opaque"),
            minimal: OIDCTokenExchangeBody()
        ),
        ContractSample(
            "WhoAmI",
            full: WhoAmIBody(tokenID: "0123456789abcdef", name: "ci", grants: [Grant(.read, namespace: "team")]),
            minimal: WhoAmIBody(tokenID: "0123456789abcdef", name: "ci", grants: [.global(.read)])
        ),
        ContractSample(
            "NamespacePage",
            full: PageBody(items: [namespace], nextCursor: "c"),
            minimal: PageBody(items: [bareNamespace], nextCursor: nil)
        ),
        ContractSample(
            "ArtifactPage",
            full: PageBody(items: [artifact], nextCursor: "c"),
            minimal: PageBody<Artifact>(items: [], nextCursor: nil)
        ),
        ContractSample(
            "VersionSummaryPage",
            full: PageBody(items: [summary], nextCursor: "c"),
            minimal: PageBody(items: [summary], nextCursor: nil)
        ),
        ContractSample(
            "VersionFilePage",
            full: PageBody(items: [file], nextCursor: "c"),
            minimal: PageBody(items: [file], nextCursor: nil)
        ),
        ContractSample("TagPage", full: PageBody(items: [tag], nextCursor: "c"), minimal: PageBody(items: [tag], nextCursor: nil)),
        ContractSample("LegalHoldPage", full: PageBody(items: [hold], nextCursor: "c"), minimal: PageBody(items: [hold], nextCursor: nil)),
        ContractSample(
            "RetentionPolicyPage",
            full: PageBody(items: [policy], nextCursor: "c"),
            minimal: PageBody(items: [barePolicy], nextCursor: nil)
        ),
        ContractSample(
            "TokenInfoPage",
            full: PageBody(items: [token], nextCursor: "c"),
            minimal: PageBody(items: [bareToken], nextCursor: nil)
        ),
    ]
}
