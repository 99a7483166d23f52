public import ArtifactDataPlane
public import ArtifactIdentity
public import ArtifactStorage
public import ArtifactStoreCore
import Foundation
public import Logging
import Synchronization

/// The data plane in process: ingest, serve, verify and delete content over several named
/// storage backends, each reached through its ``StorageConnector``.
///
/// Exists so the control plane can handle bytes without touching storage, in the same process
/// (this type) or through a daemon that runs the same contract (``DataPlane``).
///
/// Layout inside every backend:
/// - `blobs/<algorithm>/<hex 0-2>/<hex 2-4>/<hex>`: committed objects (``ContentAddress/storageKey``).
/// - `tmp/ingest/<writer>_<uuid>`: an ingest in progress, named with the process that writes it
///   (``StorageWriterIdentity``). The bytes are written there while they are hashed, then moved
///   under their address (without overwriting: if the address is taken the content is already
///   there, and the temporary is deleted). Every failure, including cancellation, deletes the
///   temporary before the call returns; a crash can leave one, which
///   ``removeAbandonedTemporaries(_:)`` removes (run by ``temporarySweepService(rule:interval:)``).
///
/// Backends are connected on first use and kept; a backend that cannot be connected makes the
/// operation fail with `backendUnavailable` and is retried on the next call.
public final class LocalDataPlane: DataPlane {
    /// One configured backend: its name and how to reach it.
    public struct Backend: Sendable {
        public var id: String
        public var connector: any StorageConnector

        public init(id: String, connector: any StorageConnector) {
            self.id = id
            self.connector = connector
        }
    }

    /// Tuning and policy.
    public struct Configuration: Sendable {
        /// Whole-object reads are digested on the way out and the last buffer is held back
        /// until the digest matches the address; a corrupted object then ends in
        /// `digestMismatch` instead of its last bytes; ranged reads are proved with the object's
        /// outboard. `false` serves both unchecked (only ``LocalDataPlane/verify(_:backendID:)``
        /// then says a stored object is intact).
        public var verifiesFullReads: Bool
        /// How long a whole read proved by hashing vouches for later whole reads of the same
        /// object, in backends that stamp their reads (the file system): as long as the object's
        /// stamp (inode, size, modification and change time) is unchanged, they are proved by the
        /// stamp instead of another hash. `.zero` hashes every whole read. Silent media
        /// corruption leaves stamps alone; it is caught by the first hashed read after this
        /// long, and by ``LocalDataPlane/verify(_:backendID:)`` at any time.
        public var trustsProvedReadsFor: Duration
        /// How many objects' proofs are remembered at most.
        public var provedReadCapacity: Int
        /// How ingest runs its two hashes.
        public var digester: DualDigester.Configuration
        /// How many bytes of proved outboard entries are kept for ranged reads
        /// (``ProvedOutboardCache``): 32 bytes per 16 KiB group proved, about 2 KiB for the spine
        /// of a 1 GiB object and 32 KiB per 16 MiB block read. 0 proves every range from the
        /// stored outboard again.
        public var provedOutboardCapacity: Int

        public init(
            verifiesFullReads: Bool = true,
            trustsProvedReadsFor: Duration = .seconds(3600),
            provedReadCapacity: Int = 16_384,
            digester: DualDigester.Configuration = .default,
            provedOutboardCapacity: Int = 16 << 20
        ) {
            self.verifiesFullReads = verifiesFullReads
            self.trustsProvedReadsFor = trustsProvedReadsFor
            self.provedReadCapacity = provedReadCapacity
            self.digester = digester
            self.provedOutboardCapacity = provedOutboardCapacity
        }
    }

    /// Where ingests in progress live inside each backend.
    public static let temporaryDirectory = "tmp/ingest"
    /// The smallest buffer an ingest hashes and writes (but the last): source buffers are
    /// coalesced up to it (``ByteStream/coalesced(minimum:)``).
    public static let ingestBufferSize = 1 << 20

    /// The backends in configuration order.
    public let backends: [Backend]
    /// The backend used when an operation names none.
    public let defaultBackendID: String
    public let configuration: Configuration
    let logger: Logger
    let provedReads: VerifiedStamps
    /// The outboard entries proved by ranged reads.
    let provedOutboards: ProvedOutboardCache
    /// The digests of the stages this process is receiving (``StagedIngesting``).
    let stagedIngests = StagedIngestTable()
    private let connected = Mutex<[String: any StorageBackend]>([:])
    /// Which connected backends can hand out download redirects, decided once per connection:
    /// the dynamic cast cost each GET some 1,600 instructions (callgrind).
    private let redirecting = Mutex<[String: (any StorageRedirecting)?]>([:])

    /// - Parameters:
    ///   - backends: at least one, with distinct ids of 1–64 characters `A–Z a–z 0–9 . _ -`.
    ///   - defaultBackendID: the backend used when none is named; the first when `nil`.
    /// - Throws: `invalidConfiguration` naming the offending id.
    public convenience init(
        backends: [Backend],
        defaultBackendID: String? = nil,
        configuration: Configuration = Configuration(),
        logger: Logger
    ) throws(DataPlaneError) {
        try self.init(
            backends: backends,
            defaultBackendID: defaultBackendID,
            configuration: configuration,
            logger: logger,
            provedReadsWallClock: VerifiedStamps.systemWallClockNanoseconds
        )
    }

    /// The same, with the wall clock proved reads compare file change times against injected,
    /// so tests move it past the settle margin instead of sleeping (see ``VerifiedStamps``).
    package init(
        backends: [Backend],
        defaultBackendID: String? = nil,
        configuration: Configuration = Configuration(),
        logger: Logger,
        provedReadsWallClock: @escaping @Sendable () -> Int64
    ) throws(DataPlaneError) {
        guard let first = backends.first else {
            throw DataPlaneError(.invalidConfiguration, "a data plane needs at least one backend")
        }
        var seen: Set<String> = []
        for backend in backends {
            try Self.validate(backendID: backend.id)
            guard seen.insert(backend.id).inserted else {
                throw DataPlaneError(.invalidConfiguration, "backend id \"\(backend.id)\" is configured twice", backendID: backend.id)
            }
        }
        let defaultID = defaultBackendID ?? first.id
        guard seen.contains(defaultID) else {
            throw DataPlaneError(
                .invalidConfiguration,
                "default backend \(Self.quote(defaultID)) is not configured; configured: \(backends.map(\.id).joined(separator: ", "))",
                backendID: defaultID
            )
        }
        self.backends = backends
        self.defaultBackendID = defaultID
        self.configuration = configuration
        self.logger = logger
        self.provedReads = VerifiedStamps(
            trustDuration: configuration.verifiesFullReads ? configuration.trustsProvedReadsFor : .zero,
            capacity: max(configuration.provedReadCapacity, 1),
            wallClock: provedReadsWallClock
        )
        self.provedOutboards = ProvedOutboardCache(capacity: configuration.provedOutboardCapacity)
    }

    static func validate(backendID id: String) throws(DataPlaneError) {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !id.isEmpty, id.utf8.count <= 64, allowed else {
            throw DataPlaneError(.invalidConfiguration, "backend id \(quote(id)) must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
    }

    /// `"text"`, with anything unprintable escaped and cut at 100 characters, for messages.
    static func quote(_ text: String) -> String {
        let cut = text.count > 100 ? String(text.prefix(100)) + "…" : text
        return "\""
            + cut.unicodeScalars.map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" ? String($0) : $0.escaped(asASCII: true)
            }.joined() + "\""
    }

    // MARK: Backends

    /// The configured backend `id` names (the default when `nil`), connected.
    /// The backend `id` (the default when `nil`) as a source of download redirects, or `nil`
    /// when it gives none.
    func redirectingBackend(for id: String?) async throws(DataPlaneError) -> (id: String, backend: (any StorageRedirecting)?) {
        let id = id ?? defaultBackendID
        if let known = redirecting.withLock({ $0[id] }) { return (id, known) }
        let (connectedID, backend) = try await backend(for: id)
        return (connectedID, backend as? any StorageRedirecting)
    }

    func backend(for id: String?) async throws(DataPlaneError) -> (id: String, backend: any StorageBackend) {
        let id = id ?? defaultBackendID
        guard let configured = backends.first(where: { $0.id == id }) else {
            throw DataPlaneError(
                .unknownBackend,
                "no backend named \(Self.quote(id)); configured: \(backends.map(\.id).joined(separator: ", "))",
                backendID: id
            )
        }
        if let backend = connected.withLock({ $0[id] }) {
            return (id, backend)
        }
        do {
            let backend = try await configured.connector.connect()
            connected.withLock { $0[id] = backend }
            redirecting.withLock { $0[id] = backend as? any StorageRedirecting }
            return (id, backend)
        } catch {
            throw DataPlaneError(
                .backendUnavailable,
                "cannot connect to backend \(Self.quote(id)): \(error.code): \(error.message)",
                backendID: id,
                underlying: error
            )
        }
    }

    /// Forgets the connected backend `id`, so the next operation connects afresh.
    func disconnect(_ id: String) {
        _ = connected.withLock { $0.removeValue(forKey: id) }
        _ = redirecting.withLock { $0.removeValue(forKey: id) }
    }

    /// `address.storageKey` as a path, built from its segments.
    static func path(of address: ContentAddress) -> StoragePath {
        // A storage key is `blobs/<algorithm>/<2 hex>/<2 hex>/<64 hex>`: always a valid path.
        try! StoragePath(segments: address.storageKeySegments)
    }
}
