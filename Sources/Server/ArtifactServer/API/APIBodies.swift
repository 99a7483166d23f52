import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import Foundation

// The JSON bodies of docs/api.md that are not control-plane types already.

/// `{"items": [...], "nextCursor": "..." | null}`: every list.
struct PageBody<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var nextCursor: String?

    init(_ page: Page<Item>) {
        self.items = page.items
        self.nextCursor = page.nextCursor
    }

    init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }
}

/// A blob as a namespace sees it, after an upload.
struct BlobBody: Encodable, Sendable {
    var address: ContentAddress
    var size: UInt64
    var sha256: Digest
    var blake3: Digest
    var deduplicated: Bool

    init(_ blob: LinkedBlob) {
        address = blob.address
        size = blob.size
        sha256 = blob.sha256
        blake3 = blob.blake3
        deduplicated = blob.deduplicated
    }
}

struct CreateNamespaceBody: Decodable, Sendable {
    var name: String
    var immutableTags: Bool?
}

struct CommitVersionBody: Decodable, Sendable {
    struct File: Decodable, Sendable {
        var path: String
        var address: ContentAddress
        var mediaType: String?
    }

    var files: [File]
    var labels: [String: String]?
}

struct SetTagBody: Decodable, Sendable {
    var version: String
}

struct PlaceHoldBody: Decodable, Sendable {
    var reason: String
}

struct SetPolicyBody: Decodable, Sendable {
    var artifactGlob: String?
    var keepLast: Int?
    var maxAgeSeconds: Int64?
    var protectTagged: Bool?
}

struct CreateTokenBody: Decodable, Sendable {
    var name: String
    var grants: [Grant]
    var expiresAt: Date?
}

struct IssuedTokenBody: Encodable, Sendable {
    var token: String
    var info: TokenInfo
}

struct WhoAmIBody: Encodable, Sendable {
    var tokenID: String
    var name: String
    var grants: [Grant]
}

struct VersionVerifyBody: Encodable, Sendable {
    struct File: Encodable, Sendable {
        var path: String
        var address: ContentAddress
        var verified: Bool
        var mismatch: String?
    }

    var verified: Bool
    var files: [File]
}

struct GarbageCollectionBody: Encodable, Sendable {
    var ran: Bool
    var dryRun: Bool
    var linksExpired: Int
    var blobsMarked: Int
    var blobsDeleted: Int
    var bytesDeleted: UInt64
    var deletionsFailed: Int

    init(_ report: GarbageCollectionReport) {
        ran = report.ran
        dryRun = report.dryRun
        linksExpired = report.linksExpired
        blobsMarked = report.blobsMarked
        blobsDeleted = report.blobsDeleted
        bytesDeleted = report.bytesDeleted
        deletionsFailed = report.deletionsFailed
    }
}

struct ScrubBody: Encodable, Sendable {
    var checked: Int
    var corrupted: [ScrubFinding]
    var collected: Int
    var garbageCollectionRunning: Bool
    var nextCursor: String?

    init(_ report: ScrubReport) {
        checked = report.checked
        corrupted = report.corrupted
        collected = report.collected
        garbageCollectionRunning = report.garbageCollectionRunning
        nextCursor = report.nextCursor
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checked, forKey: .checked)
        try container.encode(corrupted, forKey: .corrupted)
        try container.encode(collected, forKey: .collected)
        try container.encode(garbageCollectionRunning, forKey: .garbageCollectionRunning)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case checked, corrupted, collected, garbageCollectionRunning, nextCursor }
}

struct AuditChainBody: Encodable, Sendable {
    struct Fault: Encodable, Sendable {
        var sequence: Int64
        var reason: String
        var message: String
        var pendingID: String?
    }

    var intact: Bool
    var recordsChecked: Int64
    var recordsPending: Int64
    var firstFault: Fault?

    init(_ report: AuditChainReport) {
        intact = report.isIntact
        recordsChecked = report.recordsChecked
        recordsPending = report.recordsPending
        firstFault = report.firstFault.map {
            Fault(sequence: $0.sequence, reason: $0.reason.rawValue, message: $0.message, pendingID: $0.pendingID)
        }
    }
}

struct HealthBody: Encodable, Sendable {
    var status: String
}

struct ReadinessBody: Encodable, Sendable {
    struct Database: Encodable, Sendable {
        var ok: Bool
        var message: String
    }

    var status: String
    var database: Database
    var backends: [BackendStatus]
}
