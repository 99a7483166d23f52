import ArtifactControlPlane
import ArtifactDataPlaneLocal
import ArtifactMetadata
import ArtifactStorage
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import Testing

@Suite("Metadata store and migrations", .timeLimit(.minutes(10)))
struct MigrationTests {
    @Test("a fresh database is migrated to the current version, and re-running changes nothing", arguments: TestDatabase.allCases)
    func freshAndRerun(database: TestDatabase) async throws {
        try await database.withLocation { location in
            try await TestDatabase.withStore(at: location) { store in
                #expect(try await store.schemaVersion() == 0)
                let first = try await store.migrate(ControlPlaneSchema.migrations)
                #expect(first.previousVersion == 0)
                #expect(first.applied == Array(1...ControlPlaneSchema.currentVersion))
                #expect(try await store.schemaVersion() == ControlPlaneSchema.currentVersion)
                let second = try await store.migrate(ControlPlaneSchema.migrations)
                #expect(second.applied.isEmpty)
                #expect(second.currentVersion == ControlPlaneSchema.currentVersion)
                let recorded = try await store.read { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM schema_versions").first()!.decode(column: "n", as: Int64.self)
                }
                #expect(recorded == Int64(ControlPlaneSchema.currentVersion))
            }
            // Opened again (a restart), the control plane finds the schema current.
            let dataPlane = try LocalDataPlane(
                backends: [.init(id: "primary", connector: try MemoryConnector(name: "mig-\(UUID())"))],
                logger: TestLogs.silent
            )
            let controlPlane = try await ControlPlane.open(location, dataPlane: dataPlane, logger: TestLogs.silent)
            try await withCleanup { () async throws in
                #expect(try await controlPlane.store.schemaVersion() == ControlPlaneSchema.currentVersion)
            } then: {
                await controlPlane.close()
            }
        }
    }

    @Test(
        "five control planes opened at once migrate an empty database, or one a version behind, exactly once",
        .timeLimit(.minutes(10)),
        arguments: TestDatabase.allCases,
        [0, ControlPlaneSchema.currentVersion - 1]
    )
    func concurrentOpens(database: TestDatabase, startingVersion: Int) async throws {
        try await database.withLocation(maximumConnections: 4) { location in
            if startingVersion > 0 {
                try await TestDatabase.withStore(at: location) { store in
                    _ = try await store.migrate(Array(ControlPlaneSchema.migrations.prefix(startingVersion)))
                }
            }
            let outcomes = await withTaskGroup(of: Result<Int, any Error>.self) { group in
                for node in 0..<5 {
                    group.addTask {
                        do {
                            let dataPlane = try LocalDataPlane(
                                backends: [.init(id: "primary", connector: try MemoryConnector(name: "mig-\(node)-\(UUID())"))],
                                logger: TestLogs.silent
                            )
                            let controlPlane = try await ControlPlane.open(location, dataPlane: dataPlane, logger: TestLogs.silent)
                            let version = try await controlPlane.store.schemaVersion()
                            await controlPlane.close()
                            return .success(version)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for outcome in outcomes {
                switch outcome {
                case .success(let version): #expect(version == ControlPlaneSchema.currentVersion)
                case .failure(let error): Issue.record("a concurrent open failed: \(error)")
                }
            }
            try await TestDatabase.withStore(at: location) { store in
                let recorded = try await store.read { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM schema_versions").first()!.decode(column: "n", as: Int64.self)
                }
                #expect(recorded == Int64(ControlPlaneSchema.currentVersion))
            }
        }
    }

    @Test("a database newer than the code is refused with databaseTooNew and left unchanged", arguments: TestDatabase.allCases)
    func newerRefused(database: TestDatabase) async throws {
        try await database.withLocation { location in
            let future = Int64(ControlPlaneSchema.currentVersion + 1)
            try await TestDatabase.withStore(at: location) { store in
                _ = try await store.migrate(ControlPlaneSchema.migrations)
                try await store.transaction { db in
                    try await db.raw(
                        "INSERT INTO schema_versions (version, name, applied_at) VALUES (\(bind: future), 'from the future', 0)"
                    ).run()
                }
                do {
                    _ = try await store.migrate(ControlPlaneSchema.migrations)
                    Issue.record("a too-new database was migrated")
                } catch let error as MetadataStoreError {
                    #expect(error.kind == .databaseTooNew)
                    #expect(error.message.contains("\(future)"))
                }
                #expect(try await store.schemaVersion() == Int(future))
            }
            let dataPlane = try LocalDataPlane(
                backends: [.init(id: "primary", connector: try MemoryConnector(name: "mig-\(UUID())"))],
                logger: TestLogs.silent
            )
            do {
                let opened = try await ControlPlane.open(location, dataPlane: dataPlane, logger: TestLogs.silent)
                await opened.close()
                Issue.record("a too-new database was opened")
            } catch let error as ControlPlaneError {
                #expect(error.kind == .databaseTooNew)
            }
        }
    }

    @Test("database locations parse strictly")
    func locations() throws {
        #expect(try MetadataLocation(parsing: ":memory:") == .sqliteMemory)
        #expect(try MetadataLocation(parsing: "data/metadata.sqlite") == .sqliteFile(path: "data/metadata.sqlite"))
        #expect(try MetadataLocation(parsing: "sqlite:///var/lib/a.sqlite") == .sqliteFile(path: "/var/lib/a.sqlite"))
        guard case .postgres(let postgres) = try MetadataLocation(parsing: "postgres://u:p@db.example:6543/store?sslmode=disable&schema=s1")
        else {
            Issue.record("not postgres")
            return
        }
        #expect(postgres.host == "db.example")
        #expect(postgres.port == 6543)
        #expect(postgres.username == "u")
        #expect(postgres.password == "p")
        #expect(postgres.database == "store")
        #expect(postgres.schema == "s1")
        #expect(postgres.usesTLS == false)
        for bad in ["", "mysql://x/y", "postgres:///nohost", "postgres://host/db", "postgres://u@h/db?sslmode=verify-full", "sqlite://"] {
            #expect(throws: MetadataStoreError.self, "\(bad)") { try MetadataLocation(parsing: bad) }
        }
        do {
            _ = try MetadataLocation(parsing: "postgres://u:secret@h/db?bogus=1")
        } catch {
            #expect(error.kind == .invalidDatabaseURL)
            #expect(!error.message.contains("secret"))
        }
    }

    @Test("an SQLite file is in WAL mode")
    func walMode() async throws {
        try await TestDatabase.sqlite.withStore { store in
            let mode = try await store.read { db in
                try await db.raw("PRAGMA journal_mode").first()!.decode(column: "journal_mode", as: String.self)
            }
            #expect(mode == "wal")
        }
    }

    @Test("an in-memory SQLite store serves a whole push (for tests and throw-away use)")
    func inMemory() async throws {
        let dataPlane = try LocalDataPlane(
            backends: [.init(id: "primary", connector: try MemoryConnector(name: "mem-\(UUID())"))],
            logger: TestLogs.silent
        )
        let controlPlane = try await ControlPlane.open(.sqliteMemory, dataPlane: dataPlane, logger: TestLogs.silent)
        try await withCleanup {
            let context = RequestContext(actor: "user:test")
            _ = try await controlPlane.registry.createNamespace("scratch", context: context)
            let blob = try await controlPlane.registry.ingestBlob(
                namespace: "scratch",
                ByteStream(ByteBuffer(bytes: Array("x".utf8))),
                context: context
            )
            let version = try await controlPlane.registry.commitVersion(
                VersionManifest(namespace: "scratch", artifact: "a", version: "1", files: [FileEntry(path: "x", address: blob.address)]),
                context: context
            )
            #expect(version.summary.totalSize == 1)
            #expect(try await controlPlane.store.schemaVersion() == ControlPlaneSchema.currentVersion)
        } then: {
            await controlPlane.close()
        }
    }
}
