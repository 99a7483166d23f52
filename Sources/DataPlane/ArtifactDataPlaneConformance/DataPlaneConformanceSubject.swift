public import ArtifactDataPlane

/// One fresh data plane with two empty backends for one conformance check, and the hooks the
/// check needs for what the ``DataPlane`` protocol deliberately cannot do.
///
/// A remote data plane supplies the same hooks by reaching into the storage its daemon uses.
public struct DataPlaneConformanceSubject: Sendable {
    /// The data plane under test.
    public var dataPlane: any DataPlane
    /// The backend used when no `backendID` is given.
    public var defaultBackendID: String
    /// A second, distinct backend.
    public var otherBackendID: String
    /// Every object physically stored in a backend, including temporaries the backend or the
    /// data plane would hide, as root-relative keys. Directories are not listed.
    public var storedObjects: @Sendable (_ backendID: String) async throws -> [String]
    /// Flips (xor 0xFF) the byte at `offset` of the object stored under `storageKey`, directly in
    /// the backend, bypassing the data plane.
    public var corruptByte: @Sendable (_ backendID: String, _ storageKey: String, _ offset: UInt64) async throws -> Void
    /// Takes the backend away (removes its directory, drops its store, points at a dead
    /// endpoint) so health must report it unreachable.
    public var takeAway: @Sendable (_ backendID: String) async throws -> Void
    /// Removes whatever the subject set up.
    public var tearDown: @Sendable () async throws -> Void

    public init(
        dataPlane: any DataPlane,
        defaultBackendID: String,
        otherBackendID: String,
        storedObjects: @escaping @Sendable (_ backendID: String) async throws -> [String],
        corruptByte: @escaping @Sendable (_ backendID: String, _ storageKey: String, _ offset: UInt64) async throws -> Void,
        takeAway: @escaping @Sendable (_ backendID: String) async throws -> Void,
        tearDown: @escaping @Sendable () async throws -> Void
    ) {
        self.dataPlane = dataPlane
        self.defaultBackendID = defaultBackendID
        self.otherBackendID = otherBackendID
        self.storedObjects = storedObjects
        self.corruptByte = corruptByte
        self.takeAway = takeAway
        self.tearDown = tearDown
    }
}

/// What an implementation promises beyond the protocol's core, so each is checked for what it
/// promises and no more.
public struct DataPlaneConformanceCapabilities: Sendable {
    /// A whole-object serve of a corrupted object ends in `objectCorrupt` (and withholds bytes).
    public var verifiesFullReads: Bool
    /// Concurrent ingests of the same content commit exactly once (exactly one receipt says
    /// "not deduplicated"); when `false`, at least one must.
    public var exclusiveCommit: Bool
    /// Size of the large ingest; at least 256 MiB by default.
    public var largeObjectSize: Int

    public init(verifiesFullReads: Bool = true, exclusiveCommit: Bool = true, largeObjectSize: Int = 256 * 1024 * 1024 + 17) {
        self.verifiesFullReads = verifiesFullReads
        self.exclusiveCommit = exclusiveCommit
        self.largeObjectSize = largeObjectSize
    }
}
