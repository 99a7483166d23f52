import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresKit
public import SQLKit
import SQLiteKit
import Synchronization

/// The control plane's metadata database: one `SQLDatabase` code path over SQLite or PostgreSQL.
///
/// Exists so the registry, retention, GC, audit and auth write portable SQL once and run it on
/// either engine (DESIGN.md §5): SQLite in a file of the data directory by default, PostgreSQL
/// when several servers share one database.
///
/// Promises:
/// - ``transaction(_:)`` runs its body on one connection between BEGIN and COMMIT, serializably:
///   SQLite has one connection and lets one group of transactions through at a time
///   (`BEGIN IMMEDIATE`, so other processes on the same file wait for the busy timeout): the
///   transactions queued at that moment run one after another and commit together
///   (``SQLiteGroupCommit``: one fsync for the group, no result before it; if one throws, the
///   group runs again with a savepoint for each); PostgreSQL runs
///   `ISOLATION LEVEL SERIALIZABLE` and re-runs the body when the server reports a serialization
///   failure, a deadlock or a unique-key race. The body may therefore run more than once and must
///   have no effects outside the database.
/// - Any error the body throws rolls the transaction back and is rethrown unchanged; driver
///   errors come out as ``MetadataStoreError`` with code `database`.
/// - SQLite files are opened in WAL mode with a busy timeout and full fsync.
/// - ``read(_:)`` never waits for a transaction: an SQLite file has a pool of read-only
///   connections beside the writer (``SQLiteReadPool``; WAL lets them read while it writes),
///   PostgreSQL a pool of connections (`maximumConnections`, 16 by default).
/// - Changes are heard across processes (``subscribe(_:)``): PostgreSQL `LISTEN`/`NOTIFY` on a
///   connection of the pool, an SQLite file's `data_version` polled every second.
public final class MetadataStore: Sendable {
    /// Which engine answers.
    public enum Engine: String, Sendable, Hashable {
        case sqlite
        case postgres
    }

    enum Connection: Sendable {
        /// The writer, its group commit, the thread every one of its statements runs on, and the
        /// readers (none for an in-memory database, which other connections cannot see).
        case sqlite(SQLiteWriterDatabase, SQLiteGroupCommit, NIOThreadPool, SQLiteReadPool?)
        case postgres(PostgresClient, Task<Void, Never>)
    }

    public let location: MetadataLocation
    public let engine: Engine
    let connection: Connection
    private let logger: Logger
    private let heldLocks = Mutex<Set<String>>([])
    private let isClosed = Mutex(false)
    /// Subscribers to changes, and whether changes are heard.
    let changes: MetadataChangeFeed
    /// The channel ``publish(_:in:)`` notifies (PostgreSQL): one per database and schema.
    public let changeChannel: String
    /// The SQLite writer's `data_version` when last polled.
    let lastDataVersion = Mutex<Int64?>(nil)
    /// The change listener (PostgreSQL) or poller (SQLite file), cancelled by ``close()``.
    private let changeTask = Mutex<Task<Void, Never>?>(nil)

    /// How many times a PostgreSQL transaction is run before a serialization failure is given up on.
    public static let maximumAttempts = 64

    /// The advisory lock behind ``TransactionPriority`` turns (PostgreSQL), derived once.
    private let transactionTurnKey: Int64

    private init(location: MetadataLocation, engine: Engine, connection: Connection, logger: Logger) {
        self.location = location
        self.engine = engine
        self.connection = connection
        self.logger = logger
        self.transactionTurnKey = Self.advisoryLockKey("transaction-turn", location: location)
        self.changeChannel = Self.changeChannel(location)
        self.changes = MetadataChangeFeed(isHeard: engine == .sqlite)
    }

    var isClosedNow: Bool { isClosed.withLock { $0 } }

    /// Opens (and for SQLite creates) the database. Run ``migrate(_:)`` before use.
    public static func open(_ location: MetadataLocation, logger: Logger) async throws(MetadataStoreError) -> MetadataStore {
        switch location {
        case .sqliteMemory:
            return try await openSQLite(storage: .memory, location: location, logger: logger)
        case .sqliteFile(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw MetadataStoreError(
                    .databaseUnavailable,
                    "cannot create directory \"\(directory)\" for \(location)",
                    underlying: error
                )
            }
            return try await openSQLite(storage: .file(path: path), location: location, logger: logger)
        case .postgres(let postgres):
            return try await openPostgres(postgres, location: location, logger: logger)
        }
    }

    /// Opens the SQLite writer (``SQLiteWriter``), whose statements run on a thread of its own.
    ///
    /// Not on NIO's shared blocking pool: there the one connection's statements (a dozen per
    /// upload, strictly one after another) queued behind the fsyncs of concurrent ingests on the
    /// same threads, and each waited for a disk flush it had nothing to do with. One thread is
    /// enough: the connection runs one statement at a time anyway. Every use of the writer runs
    /// there (``SQLiteGroupCommit``), so each statement runs where it is called.
    private static func openSQLite(
        storage: SQLiteConnection.Storage,
        location: MetadataLocation,
        logger: Logger
    ) async throws(MetadataStoreError) -> MetadataStore {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        var opened: SQLiteWriter?
        do {
            let path: String
            switch storage {
            case .memory: path = ":memory:"
            case .file(let file): path = file
            }
            let writer = try await thread.runIfActive { try SQLiteWriter(path: path) }
            opened = writer
            let group = SQLiteGroupCommit(executor: ThreadPoolTaskExecutor(thread))
            let db = writer.sql(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
            var readers: SQLiteReadPool?
            try await group.withTurn {
                if case .file = storage {
                    try await db.raw("PRAGMA journal_mode=WAL").run()
                    try await db.raw("PRAGMA synchronous=FULL").run()
                }
                try await db.raw("PRAGMA busy_timeout=10000").run()
            }
            if case .file = storage {
                readers = try await SQLiteReadPool.open(path: path, size: SQLiteReadPool.defaultSize, logger: logger)
            }
            let store = MetadataStore(
                location: location,
                engine: .sqlite,
                connection: .sqlite(db, group, thread, readers),
                logger: logger
            )
            if readers != nil {
                await store.checkForForeignWrites()
                store.changeTask.withLock { $0 = Task { await store.pollForeignWrites() } }
            }
            return store
        } catch {
            // The readers close themselves when their pool fails to open, and nothing after it
            // throws. A task of its own, as in close(): cancellation must not skip the close.
            let writer = opened
            await Task {
                writer?.close()
                try? await thread.shutdownGracefully()
            }.value
            throw MetadataStoreError(.databaseUnavailable, "cannot open SQLite database \(location)", underlying: error)
        }
    }

    private static func openPostgres(
        _ postgres: MetadataLocation.PostgresLocation,
        location: MetadataLocation,
        logger: Logger
    ) async throws(MetadataStoreError) -> MetadataStore {
        var configuration = PostgresClient.Configuration(
            host: postgres.host,
            port: postgres.port,
            username: postgres.username,
            password: postgres.password,
            database: postgres.database,
            tls: postgres.usesTLS ? .prefer(.makeClientConfiguration()) : .disable
        )
        configuration.options.maximumConnections = postgres.maximumConnections
        if let schema = postgres.schema {
            configuration.options.additionalStartupParameters = [("search_path", "\"\(schema)\"")]
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        let store = MetadataStore(location: location, engine: .postgres, connection: .postgres(client, runner), logger: logger)
        do {
            try await client.withConnection { connection in
                try await connection.sql(queryLogLevel: nil).raw("SELECT 1").run()
            }
        } catch {
            await store.close()
            throw MetadataStoreError(.databaseUnavailable, "cannot reach PostgreSQL at \(location)", underlying: error)
        }
        let (channel, feed) = (store.changeChannel, store.changes)
        store.changeTask.withLock { $0 = Task { await Self.listenForChanges(client, channel: channel, feed: feed, logger: logger) } }
        // Caches start only once changes are heard (or the first attempt failed: then they stay
        // off until the listener gets through).
        await feed.waitUntilSettled()
        return store
    }

    /// Closes the connection (SQLite) or the pool (PostgreSQL). Later calls fail with `closed`.
    public func close() async {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        if wasClosed { return }
        // In a task of its own: a cancelled caller (a test past its time limit, a shutdown) must
        // not make a connection's close give up, which would leave it open.
        let changeTask = self.changeTask.withLock { $0 }
        let connection = self.connection
        await Task {
            if let changeTask {
                changeTask.cancel()
                await changeTask.value
            }
            switch connection {
            case .sqlite(let writer, let group, let thread, let readers):
                await readers?.close()
                // In turn with the group commits, on the writer's thread: never under a statement.
                try? await group.withTurn { writer.writer.close() }
                try? await thread.shutdownGracefully()
            case .postgres(_, let runner):
                runner.cancel()
                await runner.value
            }
        }.value
    }

    /// SQLite transactions waiting for the next group commit (always 0 on PostgreSQL).
    var queuedTransactions: Int {
        if case .sqlite(_, let group, _, _) = connection { return group.queuedCount }
        return 0
    }

    func checkOpen() throws(MetadataStoreError) {
        if isClosed.withLock({ $0 }) {
            throw MetadataStoreError(.closed, "the metadata store \(location) is closed")
        }
    }

    /// Runs `body` in one serializable transaction (see the type's promises); re-runs it on
    /// PostgreSQL serialization failures.
    ///
    /// The transaction runs in a task of its own, which the caller's cancellation does not
    /// reach: once begun, it always ends in COMMIT or ROLLBACK, so a cancelled caller never
    /// leaves a connection inside an open transaction.
    ///
    /// `priority` matters on PostgreSQL only (see ``TransactionPriority``): background work such
    /// as the garbage collector passes `.background`, so that a transaction that keeps losing to
    /// it gets a turn in which none of it runs.
    public func transaction<R: Sendable>(
        priority: TransactionPriority = .normal,
        isolation: TransactionIsolation = .serializable,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await transaction(priority: priority, isolation: isolation, waitingForLock: nil, body)
    }

    /// Runs `body` in one serializable transaction, as ``transaction(priority:_:)``, that begins
    /// only once this process holds the lock `name`, waiting as long as another holder keeps it.
    ///
    /// Exists for work every process must do once, in turn, and then see done: schema
    /// migrations by nodes started together. On PostgreSQL the session advisory lock
    /// (`pg_advisory_lock`) is taken on the transaction's own connection *before* `BEGIN`, so
    /// the transaction's snapshot is taken after the previous holder committed (a lock taken
    /// inside a serializable transaction would not do: the snapshot is fixed by its first
    /// statement, before the wait), and released after `COMMIT` or `ROLLBACK`. SQLite serialises
    /// writers on the file already (`BEGIN IMMEDIATE`).
    public func transaction<R: Sendable>(
        waitingForLock name: String,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await transaction(priority: .normal, isolation: .serializable, waitingForLock: advisoryLockKey(name), body)
    }

    private func transaction<R: Sendable>(
        priority: TransactionPriority,
        isolation: TransactionIsolation,
        waitingForLock lockKey: Int64?,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try checkOpen()
        switch connection {
        case .sqlite(let writer, let group, _, _):
            // The group commit runs transactions in a task of its own already.
            let location = self.location
            return try await group.transaction(on: writer, wrap: { Self.wrap($0, location) }, body)
        case .postgres(let client, _):
            return try await Task {
                try await self.runPostgresTransaction(client, priority: priority, isolation: isolation, lockKey: lockKey, body)
            }.value
        }
    }

    private func runPostgresTransaction<R: Sendable>(
        _ client: PostgresClient,
        priority: TransactionPriority,
        isolation: TransactionIsolation,
        lockKey: Int64?,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let turnKey = transactionTurnKey
        var attempt = 0
        while true {
            attempt += 1
            let turn = TransactionTurn(priority: priority, attempt: attempt)
            if attempt == TransactionTurn.contestedAttempts + 1 {
                logger.debug("a transaction lost \(attempt - 1) serialization conflicts in a row; it waits for a turn of its own")
            }
            do {
                return try await client.withConnection { connection in
                    let db = connection.sql(queryLogLevel: nil)
                    if let take = turn.lockFunction {
                        try await db.raw("SELECT \(unsafeRaw: take)(\(bind: turnKey))").run()
                    }
                    if let lockKey {
                        do {
                            try await db.raw("SELECT pg_advisory_lock(\(bind: lockKey))").run()
                        } catch {
                            if let release = turn.unlockFunction { await self.releaseTurn(release, key: turnKey, on: connection) }
                            throw error
                        }
                    }
                    let result: Result<R, any Error>
                    do {
                        try await db.raw(SQLQueryString(isolation.postgresBegin)).run()
                        do {
                            let value = try await body(db)
                            try await db.raw("COMMIT").run()
                            result = .success(value)
                        } catch {
                            try? await db.raw("ROLLBACK").run()
                            result = .failure(error)
                        }
                    } catch {
                        result = .failure(error)
                    }
                    if let lockKey {
                        await self.releaseTurn("pg_advisory_unlock", key: lockKey, on: connection)
                    }
                    if let release = turn.unlockFunction {
                        await self.releaseTurn(release, key: turnKey, on: connection)
                    }
                    return try result.get()
                }
            } catch {
                if attempt < Self.maximumAttempts, Self.isRetryable(error) {
                    logger.trace("retrying a serialization failure", metadata: ["attempt": "\(attempt)"])
                    try await Task.sleep(for: Self.retryDelay(attempt: attempt))
                    continue
                }
                throw Self.wrap(error, location)
            }
        }
    }

    /// Releases a session advisory lock taken for a transaction (its turn, or the lock it waited
    /// for before `BEGIN`). If that fails the connection is closed, which releases it on the
    /// server, rather than going back to the pool still holding it (and blocking every later turn).
    private func releaseTurn(_ function: String, key: Int64, on connection: PostgresConnection) async {
        do {
            try await connection.sql(queryLogLevel: nil).raw("SELECT \(unsafeRaw: function)(\(bind: key))").run()
        } catch {
            logger.warning(
                "could not release a transaction turn lock; closing the connection",
                metadata: ["error": "\(String(describing: error))"]
            )
            try? await connection.close()
        }
    }

    /// The pause before re-running a transaction that lost a serialization conflict: random
    /// ("full jitter") up to a bound that doubles from 2 ms to 128 ms, so transactions that
    /// collided do not collide again in step.
    static func retryDelay(attempt: Int) -> Duration {
        let bound = 2 << min(max(attempt - 1, 0), 6)
        return .microseconds(Int.random(in: 500...(bound * 1_000)))
    }

    /// Runs read-only `body` on one connection without a transaction of its own: on PostgreSQL a
    /// connection of the pool, on an SQLite file a read-only connection of ``SQLiteReadPool``
    /// (never waiting for the writer), in memory in turn with the transactions. Each statement
    /// sees every transaction committed before it began.
    public func read<R: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try checkOpen()
        switch connection {
        case .sqlite(_, _, _, let readers?):
            do {
                return try await readers.withConnection(body)
            } catch {
                throw Self.wrap(error, location)
            }
        case .sqlite(let writer, let group, _, nil):
            return try await group.withTurn {
                do {
                    return try await body(writer)
                } catch {
                    throw Self.wrap(error, self.location)
                }
            }
        case .postgres(let client, _):
            do {
                return try await client.withConnection { connection in
                    try await body(connection.sql(queryLogLevel: nil))
                }
            } catch {
                throw Self.wrap(error, location)
            }
        }
    }

    /// Runs `body` on the SQLite writer in turn with the group commits (outside any transaction):
    /// for tests that hold the writer, or set a connection pragma on it. `nil` on PostgreSQL.
    func withWriterTurn<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R? {
        guard case .sqlite(let writer, let group, _, _) = connection else { return nil }
        return try await group.withTurn { try await body(writer) }
    }

    /// Runs `body` only if no one else holds the lock `name`; returns `nil` without running it
    /// otherwise.
    ///
    /// On PostgreSQL this is a session advisory lock (`pg_try_advisory_lock`), held on a
    /// dedicated connection for the duration, so it excludes every process sharing the database
    /// (and schema: the key is derived from both). On an SQLite file it is an exclusive `flock`
    /// on `<database>.<name>.lock` beside it, which excludes every process using the file and is
    /// released by the kernel if the process dies. In memory it excludes this store only.
    public func withExclusiveLock<R: Sendable>(named name: String, _ body: @Sendable () async throws -> R) async throws -> R? {
        try checkOpen()
        guard heldLocks.withLock({ $0.insert(name).inserted }) else { return nil }
        defer { _ = heldLocks.withLock { $0.remove(name) } }
        switch connection {
        case .sqlite:
            guard case .sqliteFile(let path) = location else { return try await body() }
            guard let lock = try FileLock(path: "\(path).\(name).lock") else { return nil }
            defer { lock.release() }
            return try await body()
        case .postgres(let client, _):
            let key = advisoryLockKey(name)
            do {
                return try await client.withConnection { connection -> R? in
                    let db = connection.sql(queryLogLevel: nil)
                    let row = try await db.raw("SELECT pg_try_advisory_lock(\(bind: key)) AS acquired").first()
                    guard try row?.decode(column: "acquired", as: Bool.self) == true else { return nil }
                    do {
                        let result = try await body()
                        try await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                        return result
                    } catch {
                        try? await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                        throw error
                    }
                }
            } catch {
                throw Self.wrap(error, location)
            }
        }
    }

    /// Whether someone (this store or another process sharing the database) now holds the lock
    /// `name` taken by ``withExclusiveLock(named:_:)``: a report for an operator, never a guard,
    /// since the answer may change right after it is given.
    ///
    /// On PostgreSQL it reads `pg_locks` and takes nothing. On an SQLite file it tries a shared
    /// `flock` and drops it at once, so a collector starting in that instant skips one run (as it
    /// does whenever another holds the lock). In memory it sees this store's own holders only.
    public func isExclusiveLockHeld(named name: String) async throws -> Bool {
        try checkOpen()
        if heldLocks.withLock({ $0.contains(name) }) { return true }
        switch connection {
        case .sqlite:
            guard case .sqliteFile(let path) = location else { return false }
            return try FileLock.isHeld(path: "\(path).\(name).lock")
        case .postgres:
            // A bigint advisory key shows in pg_locks as its high and low 32 bits (objsubid 1).
            let key = UInt64(bitPattern: advisoryLockKey(name))
            let high = Int64(key >> 32)
            let low = Int64(key & 0xFFFF_FFFF)
            return try await read { db in
                try await db.raw(
                    """
                    SELECT 1 AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND classid::text::bigint = \(bind: high) AND objid::text::bigint = \(bind: low)
                    """
                ).first() != nil
            }
        }
    }

    /// A 64-bit advisory lock key for `name` in this database and schema (FNV-1a).
    func advisoryLockKey(_ name: String) -> Int64 {
        Self.advisoryLockKey(name, location: location)
    }

    static func advisoryLockKey(_ name: String, location: MetadataLocation) -> Int64 {
        var schema = "public"
        if case .postgres(let postgres) = location, let named = postgres.schema { schema = named }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "artifactstore/\(schema)/\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// PostgreSQL errors worth re-running the transaction for: serialization failure, deadlock,
    /// and a unique violation (two transactions raced to insert the same key; the re-run sees
    /// the winner's row and answers accordingly).
    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01" || state == "23505"
    }

    static func wrap(_ error: any Error, _ location: MetadataLocation) -> any Error {
        if error is MetadataStoreError { return error }
        if error is PSQLError || error is SQLiteError || error is SQLitePreparedError {
            return MetadataStoreError(.database, "statement failed on \(location): \(String(reflecting: error))", underlying: error)
        }
        return error
    }
}
