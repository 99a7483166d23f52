public import ArtifactDataPlane
public import ArtifactMetadata
public import Foundation
public import Logging
package import SQLKit

/// The control plane: registry, retention, garbage collection, audit and auth over one metadata
/// store and one data plane.
///
/// Exists as the single object a server (or a test) opens: it runs the schema migrations, and
/// hands out the parts (``registry``, ``retention``, ``garbageCollector``, ``audit``, ``auth``),
/// which share its store, data plane, clock and configuration. It has no HTTP in it and touches
/// bytes only through ``DataPlane`` (DESIGN.md §1, §5).
public final class ControlPlane: Sendable {
    /// Tuning and policy.
    public struct Configuration: Sendable {
        /// How long a blob stays after its last reference went, and how long a linked but not yet
        /// committed blob is protected as an upload in flight. Must exceed the longest push.
        public var gcGracePeriod: Duration
        /// Rows the garbage collector reads (and holds) at once while marking and sweeping.
        public var gcPageSize: Int
        /// How long an ingest waits for a concurrent GC deletion of the same bytes to finish
        /// before answering `blobCollected`.
        public var collectionWaitLimit: Duration
        /// The most time authorisations and blob facts are served from memory
        /// (``ControlPlaneCaches``, which drop them at once on the store's own events, in every
        /// process). `.zero` turns the caches off.
        public var cacheLifetime: Duration
        /// The most blob facts cached at once (tokens: a quarter of it).
        public var cacheCapacity: Int
        /// The keys of the audit chain's HMAC (docs/operations.md, "Audit key"). `serve` loads
        /// them from the key file; the default is a random key of this process only.
        public var auditKeys: AuditKeyring
        /// Namespaces whose downloads are always served through the server, never redirected to
        /// a backend's presigned URL (``Registry/downloadRedirect(namespace:address:)``).
        public var redirectExemptNamespaces: Set<String>
        /// The non-public addresses webhook URLs may point at (``WebhookNetworkPolicy``); none by default.
        public var webhookNetworks: WebhookNetworkPolicy = []
        /// The registry token flow (``RegistryTokens``); `nil`, the default, turns it off.
        public var registryTokens: RegistryTokenSettings?
        /// A directory (LDAP) that vouches for Basic `user:password` credentials on `/v2` and
        /// the token endpoint, with its group-to-grant rules; `nil`, the default, turns it off.
        public var directory: DirectorySettings?

        public init(
            gcGracePeriod: Duration = .seconds(24 * 3600),
            gcPageSize: Int = 1000,
            collectionWaitLimit: Duration = .seconds(30),
            cacheLifetime: Duration = ControlPlaneCaches.defaultLifetime,
            cacheCapacity: Int = 4096,
            auditKeys: AuditKeyring = .processLocal,
            redirectExemptNamespaces: Set<String> = [],
            registryTokens: RegistryTokenSettings? = nil,
            directory: DirectorySettings? = nil
        ) {
            self.gcGracePeriod = gcGracePeriod
            self.gcPageSize = gcPageSize
            self.collectionWaitLimit = collectionWaitLimit
            self.cacheLifetime = cacheLifetime
            self.cacheCapacity = cacheCapacity
            self.auditKeys = auditKeys
            self.redirectExemptNamespaces = redirectExemptNamespaces
            self.registryTokens = registryTokens
            self.directory = directory
        }
    }

    public let store: MetadataStore
    public let dataPlane: any DataPlane
    public let configuration: Configuration
    /// Recently read authorisations and blob facts, shared by every part (and every caller).
    public let caches: ControlPlaneCaches
    /// Wakes this process's audit sequencer after every commit that wrote an audit record
    /// (``AuditSequencerService``).
    let auditWake = AuditWakeSignal()
    /// The registry JWT signing keys, read from the database on first use.
    let registryTokenKeys = RegistryTokenKeys()
    package let clock: @Sendable () -> Date
    package let logger: Logger

    /// Opens the metadata store at `location` and brings its schema up to date.
    ///
    /// - Parameter clock: the time every record is stamped with, and against which ages and
    ///   grace periods are measured (tests pass a controllable one).
    /// - Throws: `databaseTooNew` when the schema is newer than this code (nothing changed),
    ///   `databaseUnavailable` when it cannot be opened.
    public static func open(
        _ location: MetadataLocation,
        dataPlane: any DataPlane,
        configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) async throws(ControlPlaneError) -> ControlPlane {
        let store: MetadataStore
        do {
            store = try await MetadataStore.open(location, logger: logger)
        } catch {
            throw ControlPlaneError.wrapping(error, "opening the metadata store")
        }
        do {
            return try await ControlPlane(store: store, dataPlane: dataPlane, configuration: configuration, clock: clock, logger: logger)
        } catch {
            await store.close()
            throw error
        }
    }

    /// Uses an open store, running its migrations first.
    public init(
        store: MetadataStore,
        dataPlane: any DataPlane,
        configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) async throws(ControlPlaneError) {
        do {
            let report = try await store.migrate(ControlPlaneSchema.migrations)
            if !report.applied.isEmpty {
                logger.info("metadata schema migrated", metadata: ["from": "\(report.previousVersion)", "to": "\(report.currentVersion)"])
            }
        } catch {
            throw ControlPlaneError.wrapping(error, "migrating the metadata store")
        }
        do {
            try await store.prepare(Registry.preparedReads)
        } catch {
            throw ControlPlaneError.wrapping(error, "preparing the blob lookups")
        }
        self.store = store
        self.dataPlane = dataPlane
        self.configuration = configuration
        let caches = ControlPlaneCaches(lifetime: configuration.cacheLifetime, capacity: configuration.cacheCapacity)
        self.caches = caches
        self.clock = clock
        self.logger = logger
        store.subscribe { change in caches.apply(change) }
    }

    /// Publishes `event` to every process (this one included) when the transaction `db` belongs
    /// to commits. The caller also applies it to this process's caches right after the commit
    /// (``ControlPlaneCaches/apply(_:)``), so it takes effect here before the call returns.
    func publish(_ event: CacheEvent, in db: any SQLDatabase) async throws {
        try await event.publish(through: store, in: db)
    }

    /// Asks the database a trivial question: for readiness checks.
    ///
    /// - Throws: `databaseUnavailable` (or `database`) when it does not answer.
    public func checkDatabase() async throws(ControlPlaneError) {
        _ = try await query("checking the database") { db in try await db.raw("SELECT 1 AS one").first() }
    }

    /// Closes the metadata store.
    public func close() async {
        await store.close()
    }

    public var registry: Registry { Registry(controlPlane: self) }
    public var retention: Retention { Retention(controlPlane: self) }
    public var garbageCollector: GarbageCollector { GarbageCollector(controlPlane: self) }
    public var audit: AuditLog { AuditLog(controlPlane: self) }
    public var auditSequencer: AuditSequencer { AuditSequencer(controlPlane: self) }
    public var auth: Auth { Auth(controlPlane: self) }
    public var webhooks: Webhooks { Webhooks(controlPlane: self) }
    public var registryTokens: RegistryTokens { RegistryTokens(controlPlane: self) }

    // MARK: Shared by the parts

    /// Now, in milliseconds since 1970, as every table stores time.
    package func nowMilliseconds() -> Int64 {
        Int64((clock().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Runs `body` in a transaction, turning every failure into a ``ControlPlaneError``.
    /// Background work (collection, retention, expiry) passes `.background` so that requests
    /// it keeps beating to a conflict get a turn without it. After a commit that appended an audit
    /// record the audit sequencer is woken, to seal it.
    package func mutate<R: Sendable>(
        _ doing: String,
        priority: TransactionPriority = .normal,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws(ControlPlaneError) -> R {
        do {
            return try await transaction(priority: priority, body)
        } catch {
            throw ControlPlaneError.wrapping(error, doing)
        }
    }

    /// Runs `body` in a store transaction in which ``AuditLog/append(_:context:at:in:)`` MACs
    /// with this control plane's audit keys, and wakes the audit sequencer after the commit when
    /// the body appended a record.
    func transaction<R: Sendable>(
        priority: TransactionPriority = .normal,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let writer = AuditWriter(keys: configuration.auditKeys)
        let result = try await store.transaction(priority: priority) { db in
            try await AuditLog.$writer.withValue(writer) { try await body(db) }
        }
        if writer.appended { auditWake.signal() }
        return result
    }

    /// Runs read-only `body`, turning every failure into a ``ControlPlaneError``.
    package func query<R: Sendable>(
        _ doing: String,
        _ body: @Sendable (any SQLDatabase) async throws -> R
    ) async throws(ControlPlaneError) -> R {
        do {
            return try await store.read(body)
        } catch {
            throw ControlPlaneError.wrapping(error, doing)
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension Date {
    package init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
