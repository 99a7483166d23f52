public import ArtifactMetadata
import Foundation
public import Logging
import SQLKit
import Synchronization

/// The two metadata engines every test of the control plane and the server runs against.
public enum TestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// `ARTIFACTSTORE_TEST_POSTGRES_URL`, when set.
    public static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether this engine can run here; says plainly, once per test, when PostgreSQL is skipped.
    public func isAvailable(_ test: String = #function) -> Bool {
        if self == .postgres, Self.postgresURL == nil {
            print("PostgreSQL test SKIPPED (\(test)): ARTIFACTSTORE_TEST_POSTGRES_URL is not set")
            return false
        }
        return true
    }

    /// Limits how many PostgreSQL test databases are open at once (the server allows ~100 connections).
    public static let postgresSlots = TestSemaphore(4)

    /// A fresh, empty location: a new SQLite file in a new temporary directory, or a new schema
    /// on the PostgreSQL server. `cleanup` removes it.
    public func makeLocation(maximumConnections: Int = 6) async throws -> (location: MetadataLocation, cleanup: @Sendable () async -> Void)
    {
        let token = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-metadata-\(token)"
            return (.sqliteFile(path: directory + "/metadata.sqlite"), { try? FileManager.default.removeItem(atPath: directory) })
        case .postgres:
            let schema = "t_\(token)"
            let admin = try await MetadataStore.open(try MetadataLocation(parsing: Self.postgresURL!), logger: TestLogs.silent)
            try await admin.transaction { db in try await db.raw("CREATE SCHEMA \(ident: schema)").run() }
            guard case .postgres(var postgres) = try MetadataLocation(parsing: Self.postgresURL!) else { fatalError("not a postgres URL") }
            postgres.schema = schema
            postgres.maximumConnections = maximumConnections
            return (
                .postgres(postgres),
                {
                    try? await admin.transaction { db in try await db.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
                    await admin.close()
                }
            )
        }
    }
}

extension TestDatabase {
    /// Runs `body` with a fresh, empty location (``makeLocation(maximumConnections:)``), then
    /// removes it whether `body` throws or not. Skips (saying so) where the engine is not
    /// available; PostgreSQL runs take one of ``postgresSlots`` for as long as `body` runs.
    public func withLocation(
        maximumConnections: Int = 6,
        test: String = #function,
        _ body: (MetadataLocation) async throws -> Void
    ) async throws {
        guard isAvailable(test) else { return }
        if self == .postgres { await Self.postgresSlots.acquire() }
        defer { if self == .postgres { Self.postgresSlots.release() } }
        let (location, cleanup) = try await makeLocation(maximumConnections: maximumConnections)
        try await withCleanup {
            try await body(location)
        } then: {
            await cleanup()
        }
    }

    /// Runs `body` with an unmigrated ``MetadataStore`` on a fresh location of this engine
    /// (``withLocation(maximumConnections:test:_:)``), and closes it whether `body` throws or not.
    public func withStore(maximumConnections: Int = 6, test: String = #function, _ body: (MetadataStore) async throws -> Void) async throws
    {
        try await withLocation(maximumConnections: maximumConnections, test: test) { location in
            try await Self.withStore(at: location, body)
        }
    }

    /// Runs `body` with an unmigrated ``MetadataStore`` opened on `location` (which outlives it:
    /// a test that reopens the database), and closes it whether `body` throws or not.
    public static func withStore<Result>(
        at location: MetadataLocation,
        _ body: (MetadataStore) async throws -> Result
    ) async throws -> Result {
        let store = try await MetadataStore.open(location, logger: TestLogs.silent)
        return try await withCleanup {
            try await body(store)
        } then: {
            await store.close()
        }
    }
}

/// Runs `body`, then `cleanup`, whether `body` throws or not: a `defer` that can await.
public func withCleanup<Result>(_ body: () async throws -> Result, then cleanup: () async -> Void) async throws -> Result {
    let result: Result
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}

public enum TestLogs {
    public static var silent: Logger {
        Logger(label: "artifactstore.tests.silent", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}

/// A counting semaphore for tests, without blocking threads.
public final class TestSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(_ count: Int) {
        state = Mutex(State(available: count))
    }

    public func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
