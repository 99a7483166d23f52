public import Foundation

// Bodies of the store-wide routes: tokens, garbage collection, scrub and the audit chain (docs/api.md).

/// `POST /v1/tokens`.
public struct CreateTokenBody: Codable, Sendable, Hashable {
    public var name: String
    public var grants: [Grant]
    public var expiresAt: Date?

    public init(name: String, grants: [Grant], expiresAt: Date? = nil) {
        self.name = name
        self.grants = grants
        self.expiresAt = expiresAt
    }
}

/// A newly created token: the secret appears only here.
public struct IssuedTokenBody: Codable, Sendable, Hashable {
    /// The bearer token, `ast_<id>_<secret>`.
    public var token: String
    public var info: TokenInfo

    public init(token: String, info: TokenInfo) {
        self.token = token
        self.info = info
    }
}

/// `GET /v1/whoami`: the token the request was made with.
public struct WhoAmIBody: Codable, Sendable, Hashable {
    public var tokenID: String
    public var name: String
    public var grants: [Grant]

    public init(tokenID: String, name: String, grants: [Grant]) {
        self.tokenID = tokenID
        self.name = name
        self.grants = grants
    }
}

/// `POST /v1/gc`: what one garbage collection did (or, with `dryRun`, would do).
public struct GarbageCollectionBody: Codable, Sendable, Hashable {
    /// `false` when another collection held the lock.
    public var ran: Bool
    public var dryRun: Bool
    public var linksExpired: Int
    public var blobsMarked: Int
    public var blobsDeleted: Int
    public var bytesDeleted: UInt64
    public var deletionsFailed: Int

    public init(
        ran: Bool,
        dryRun: Bool,
        linksExpired: Int,
        blobsMarked: Int,
        blobsDeleted: Int,
        bytesDeleted: UInt64,
        deletionsFailed: Int
    ) {
        self.ran = ran
        self.dryRun = dryRun
        self.linksExpired = linksExpired
        self.blobsMarked = blobsMarked
        self.blobsDeleted = blobsDeleted
        self.bytesDeleted = bytesDeleted
        self.deletionsFailed = deletionsFailed
    }
}

/// `POST /v1/scrub`: one page of re-read blobs. `nextCursor` is always written (`null` when every
/// live blob has been checked).
public struct ScrubBody: Codable, Sendable, Hashable {
    public var checked: Int
    public var corrupted: [ScrubFinding]
    public var collected: Int
    public var garbageCollectionRunning: Bool
    public var nextCursor: String?

    public init(checked: Int, corrupted: [ScrubFinding], collected: Int, garbageCollectionRunning: Bool, nextCursor: String?) {
        self.checked = checked
        self.corrupted = corrupted
        self.collected = collected
        self.garbageCollectionRunning = garbageCollectionRunning
        self.nextCursor = nextCursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checked, forKey: .checked)
        try container.encode(corrupted, forKey: .corrupted)
        try container.encode(collected, forKey: .collected)
        try container.encode(garbageCollectionRunning, forKey: .garbageCollectionRunning)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case checked, corrupted, collected, garbageCollectionRunning, nextCursor }
}

/// `GET /v1/audit/verify`: the hash chain checked from its first record.
public struct AuditChainBody: Codable, Sendable, Hashable {
    /// The first record that breaks the chain.
    public struct Fault: Codable, Sendable, Hashable {
        public var sequence: Int64
        /// `contentsAltered`, `recordMissing`, `chainBroken`, `headMismatch`, `malformed`,
        /// `keyUnknown` or `pendingForged`.
        public var reason: String
        public var message: String
        public var pendingID: String?

        public init(sequence: Int64, reason: String, message: String, pendingID: String? = nil) {
            self.sequence = sequence
            self.reason = reason
            self.message = message
            self.pendingID = pendingID
        }
    }

    public var intact: Bool
    public var recordsChecked: Int64
    public var recordsPending: Int64
    public var firstFault: Fault?

    public init(intact: Bool, recordsChecked: Int64, recordsPending: Int64, firstFault: Fault? = nil) {
        self.intact = intact
        self.recordsChecked = recordsChecked
        self.recordsPending = recordsPending
        self.firstFault = firstFault
    }
}
