public import ArtifactStorage

/// One fresh, empty backend for one conformance check, with the hooks the check needs to look
/// past the backend's own API.
public struct StorageConformanceSubject: Sendable {
    /// The backend under test; empty when handed over.
    public var backend: any StorageBackend
    /// Everything physically under the backend's root, including what the backend itself would
    /// hide (temporary files), as root-relative paths with `/` separators; directories end in `/`.
    /// The leak check requires this to be empty once a check has removed what it created.
    public var rawItems: @Sendable () async throws -> [String]
    /// A fingerprint of everything outside the root that escape attempts could reach (for the
    /// filesystem: each sentinel file's content, size and mtime, and the list of every item in
    /// the directory around the root). Compared before and after every escape attempt.
    public var outsideSnapshot: @Sendable () async throws -> [String: String]
    /// Removes whatever the subject set up (temporary directories, named stores).
    public var tearDown: @Sendable () async throws -> Void

    public init(
        backend: any StorageBackend,
        rawItems: @escaping @Sendable () async throws -> [String],
        outsideSnapshot: @escaping @Sendable () async throws -> [String: String],
        tearDown: @escaping @Sendable () async throws -> Void
    ) {
        self.backend = backend
        self.rawItems = rawItems
        self.outsideSnapshot = outsideSnapshot
        self.tearDown = tearDown
    }
}

/// What a backend supports beyond the common core, so the suite checks each backend for what
/// it promises and no more.
public struct StorageConformanceCapabilities: Sendable {
    /// Real directories: `makeDirectory` creates one, `removeDirectory` refuses a non-empty one,
    /// writing over a directory is `alreadyExists`. False for S3.
    public var directories: Bool
    /// `stat` reports the POSIX mode a write asked for.
    public var keepsMode: Bool
    /// Size of the large round trip, at least 100 MiB by default.
    public var largeObjectSize: Int
    /// Of several concurrent exclusive creates of one path, exactly one succeeds. False where
    /// the server under test checks `If-None-Match: *` and stores in two steps (moto_server):
    /// then at least one must succeed, every failure must be `alreadyExists`, and the stored
    /// bytes must be exactly one writer's.
    public var atomicExclusiveCreate: Bool

    public init(
        directories: Bool = true,
        keepsMode: Bool = true,
        largeObjectSize: Int = 100 * 1024 * 1024 + 12_345,
        atomicExclusiveCreate: Bool = true
    ) {
        self.directories = directories
        self.keepsMode = keepsMode
        self.largeObjectSize = largeObjectSize
        self.atomicExclusiveCreate = atomicExclusiveCreate
    }
}
