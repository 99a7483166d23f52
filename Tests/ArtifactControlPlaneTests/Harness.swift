import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStorage
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import Synchronization

/// A control plane over a fresh database (SQLite file or PostgreSQL schema) and a fresh
/// in-memory data plane, with a clock the test moves by hand.
final class Harness: Sendable {
    let database: TestDatabase
    let location: MetadataLocation
    let controlPlane: ControlPlane
    let dataPlane: LocalDataPlane
    let memoryStoreName: String
    let clock: TestClock
    let context = RequestContext(actor: "user:alice", requestID: "req-1", clientAddress: "192.0.2.7")

    var registry: Registry { controlPlane.registry }

    private init(
        database: TestDatabase,
        location: MetadataLocation,
        controlPlane: ControlPlane,
        dataPlane: LocalDataPlane,
        memoryStoreName: String,
        clock: TestClock
    ) {
        self.database = database
        self.location = location
        self.controlPlane = controlPlane
        self.dataPlane = dataPlane
        self.memoryStoreName = memoryStoreName
        self.clock = clock
    }

    /// Runs `body` with a fresh harness, or prints that it skipped (PostgreSQL without a URL).
    static func run(
        _ database: TestDatabase,
        configuration: ControlPlane.Configuration = ControlPlane.Configuration(gcGracePeriod: .seconds(3600)),
        maximumConnections: Int = 6,
        clock: TestClock = TestClock(),
        wrapDataPlane: (LocalDataPlane) -> any DataPlane = { $0 },
        test: String = #function,
        _ body: (Harness) async throws -> Void
    ) async throws {
        try await database.withLocation(maximumConnections: maximumConnections, test: test) { location in
            let memoryStoreName = "control-\(UUID().uuidString.lowercased())"
            defer { MemoryStoreRegistry.remove(memoryStoreName) }
            let dataPlane = try LocalDataPlane(
                backends: [.init(id: "primary", connector: try MemoryConnector(name: memoryStoreName))],
                logger: TestLogs.silent
            )
            let controlPlane = try await ControlPlane.open(
                location,
                dataPlane: wrapDataPlane(dataPlane),
                configuration: configuration,
                clock: { clock.now },
                logger: TestLogs.silent
            )
            let harness = Harness(
                database: database,
                location: location,
                controlPlane: controlPlane,
                dataPlane: dataPlane,
                memoryStoreName: memoryStoreName,
                clock: clock
            )
            try await withCleanup {
                try await body(harness)
            } then: {
                await controlPlane.close()
            }
        }
    }

    // MARK: Clock

    var time: Date { clock.now }

    func advance(by seconds: TimeInterval) {
        clock.advance(by: seconds)
    }

    // MARK: Pushing and reading

    /// Ingests `bytes` into `namespace` (through `via`, another control plane on the same
    /// database and data plane, when given).
    @discardableResult
    func ingest(_ bytes: [UInt8], into namespace: String, via: ControlPlane? = nil) async throws -> LinkedBlob {
        try await (via ?? controlPlane).registry.ingestBlob(namespace: namespace, ByteStream(ByteBuffer(bytes: bytes)), context: context)
    }

    /// Both steps of a push.
    @discardableResult
    func push(
        _ namespace: String,
        _ artifact: String,
        _ version: String,
        files: [String: [UInt8]],
        labels: [String: String] = [:],
        via: ControlPlane? = nil
    ) async throws -> ArtifactVersion {
        var entries: [FileEntry] = []
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            let blob = try await ingest(bytes, into: namespace, via: via)
            entries.append(FileEntry(path: path, address: blob.address, mediaType: "application/octet-stream"))
        }
        return try await (via ?? controlPlane).registry.commitVersion(
            VersionManifest(namespace: namespace, artifact: artifact, version: version, files: entries, labels: labels),
            context: context
        )
    }

    func read(_ namespace: String, _ artifact: String, _ version: String, _ path: String) async throws -> [UInt8] {
        try await collect(try await registry.openFile(namespace: namespace, artifact: artifact, version: version, path: path))
    }

    func collect(_ stream: ByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in stream { bytes += buffer.readableBytesView }
        return bytes
    }

    /// Objects in the data plane's store (blob keys).
    func storedObjects() throws -> [String] {
        try MemoryBackend(name: memoryStoreName).allItems().filter { $0.hasPrefix("blobs/") && !$0.hasSuffix("/") }.sorted()
    }

    // MARK: Direct database access (tampering, snapshots)

    func execute(_ sql: SQLQueryString) async throws {
        try await controlPlane.store.transaction { db in try await db.raw(sql).run() }
    }

    static let tables = [
        "namespaces", "artifacts", "versions", "version_files", "tags", "blobs", "links", "holds", "retention_policies", "audit_log",
        "audit_head", "audit_pending",
        "tokens", "namespace_usage", "namespace_usage_changes",
    ]

    /// Every row of every table, as text, in a stable order: equal snapshots mean nothing changed.
    func snapshot(excludingAudit: Bool = false) async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for table in Self.tables where !(excludingAudit && table.hasPrefix("audit")) {
            let rows = try await controlPlane.store.read { db in
                try await db.raw("SELECT * FROM \(ident: table)").all().map { row in
                    try row.allColumns.sorted().map { column in "\(column)=\(try Self.text(row, column))" }.joined(separator: "|")
                }
            }
            result[table] = rows.sorted()
        }
        return result
    }

    private static func text(_ row: any SQLRow, _ column: String) throws -> String {
        if try row.decodeNil(column: column) { return "NULL" }
        if let value = try? row.decode(column: column, as: String.self) { return value }
        if let value = try? row.decode(column: column, as: Int64.self) { return String(value) }
        return "?"
    }

    /// Audit records with `action`.
    func auditRecords(action: String) async throws -> [AuditRecord] {
        try await controlPlane.audit.records(AuditFilter(action: action), page: .first(1000)).items
    }
}

/// A clock that moves only when told: ages and grace periods without waiting.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    /// Follows the real clock instead, plus what ``advance(by:)`` added (for the GC stress
    /// test, where pushes and collections interleave on their own).
    private let real: Bool
    private let realOffset = Mutex<TimeInterval>(0)

    /// - Parameter start: where the clock starts; the reconciler's tests start it at the real
    ///   time, because the backends date what they store by the real clock.
    init(real: Bool = false, start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.real = real
        self.current = Mutex(start)
    }

    var now: Date { real ? Date().addingTimeInterval(realOffset.withLock { $0 }) : current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        if real {
            realOffset.withLock { $0 += seconds }
        } else {
            current.withLock { $0 = $0.addingTimeInterval(seconds) }
        }
    }
}
