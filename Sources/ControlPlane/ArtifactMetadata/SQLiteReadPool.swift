import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// Read-only connections to an SQLite file in WAL mode, beside the one writer.
///
/// Exists so a read (every uncached blob lookup, every listing) never waits for the writer's
/// group commit and its fsync: in WAL mode readers see the last committed state and run
/// concurrently with the writer and with each other. Each connection is `query_only`, so a
/// statement that would write fails instead of taking the write lock behind the group commit's
/// back. Connections run on threads of their own (not NIO's shared blocking pool, where they
/// would queue behind the fsyncs of ingests).
///
/// Promises: at most ``size`` reads run at once; a further read waits for a connection, in the
/// order it asked (prepared reads in the order of the pool's queue, other reads in the order they
/// asked for a reader); a read sees every transaction that committed before it began.
final class SQLiteReadPool: Sendable {
    /// One reader: an sqlite-nio connection for any read, and beside it a connection of its own
    /// that keeps prepared statements (``PreparedRead``). A checkout (``withConnection(_:)``)
    /// takes the reader for its sql-kit connection; a prepared read takes any free kept
    /// connection without a checkout (``rows(of:binding:)``).
    private final class Reader: Sendable {
        let connection: SQLiteConnection
        let prepared: Mutex<SQLitePreparedConnection>

        init(connection: SQLiteConnection, path: String) throws(SQLitePreparedError) {
            self.connection = connection
            self.prepared = Mutex(try SQLitePreparedConnection(path: path))
        }
    }

    private struct State {
        var idle: [Reader]
        var waiters: [CheckedContinuation<Reader, Never>] = []
    }

    let size: Int
    private let readers: [Reader]
    private let threads: NIOThreadPool
    private let state: Mutex<State>

    private init(readers: [Reader], threads: NIOThreadPool) {
        self.size = readers.count
        self.readers = readers
        self.threads = threads
        self.state = Mutex(State(idle: readers))
    }

    /// How many readers a machine gets: one per core, at least 2 and at most 8.
    static var defaultSize: Int { min(8, max(2, System.coreCount)) }

    /// Opens `size` read-only connections to the SQLite file at `path` (already in WAL mode).
    static func open(path: String, size: Int, logger: Logger) async throws -> SQLiteReadPool {
        let threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
        var opened: [Reader] = []
        var connection: SQLiteConnection?
        do {
            for _ in 0..<size {
                connection = try await SQLiteConnection.open(
                    storage: .file(path: path),
                    threadPool: threads,
                    logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any()
                )
                guard let connection else { break }
                let db = connection.sql(queryLogLevel: nil)
                try await db.raw("PRAGMA busy_timeout=10000").run()
                try await db.raw("PRAGMA query_only=1").run()
                opened.append(try Reader(connection: connection, path: path))
            }
        } catch {
            if let connection, !opened.contains(where: { $0.connection === connection }) { try? await connection.close() }
            for reader in opened { try? await reader.connection.close() }
            try? await threads.shutdownGracefully()
            throw error
        }
        return SQLiteReadPool(readers: opened, threads: threads)
    }

    /// Runs `body` on an idle connection, waiting for one if all are busy.
    func withConnection<R>(_ body: (any SQLDatabase) async throws -> R) async throws -> R {
        let reader = await checkOut()
        defer { checkIn(reader) }
        return try await body(reader.connection.sql(queryLogLevel: nil))
    }

    /// Runs `read` with `binds` on a kept statement, on the pool's threads: the job goes straight
    /// into the pool's queue and, once a thread takes it, runs on whichever prepared connection no
    /// other thread holds (``withFreePreparedConnection(_:)``).
    ///
    /// Exists because checking a reader out first made every uncached lookup wait for three hops
    /// through the event loops while the reader sat idle: the read's own continuation (to check
    /// the reader in), the next waiter's (to take it), and that waiter's submission to the pool.
    /// With busy event loops each hop waits for a whole tick, so the more requests were in
    /// flight, the longer the readers idled: on 100,000 blobs in rotation the rate fell from
    /// 7,700 GETs/s at 8 connections to 5,700 at 256, with a quarter of the machine idle.
    func rows(of read: PreparedRead, binding binds: [PreparedValue]) async throws -> [PreparedRow] {
        try await threads.runIfActive { [readers] in
            try Self.withFreePreparedConnection(readers) { connection throws(SQLitePreparedError) in
                try connection.rows(of: read, binding: binds)
            }
        }
    }

    /// Runs `body` on a prepared connection that no other thread holds. Blocking; call it on the
    /// pool's threads only.
    ///
    /// The pool has as many threads as readers, and a thread holds at most one prepared
    /// connection at a time (only while running a job), so one is always free when a job starts;
    /// waiting for the first one's lock only covers a count that would ever differ.
    private static func withFreePreparedConnection<R: Sendable>(
        _ readers: [Reader],
        _ body: (inout SQLitePreparedConnection) throws(SQLitePreparedError) -> R
    ) throws(SQLitePreparedError) -> R {
        for reader in readers {
            let outcome = try reader.prepared.withLockIfAvailable { connection throws(SQLitePreparedError) in
                Taken(value: try body(&connection))
            }
            if let outcome { return outcome.value }
        }
        return try readers[0].prepared.withLock { connection throws(SQLitePreparedError) in try body(&connection) }
    }

    /// A result taken from a connection, so that "the lock was busy" (`nil`) stays apart from a
    /// result that is itself optional.
    private struct Taken<Value: Sendable>: Sendable {
        var value: Value
    }

    /// Prepares `reads` on every reader now, on the pool's threads.
    ///
    /// Exists so the first lookups of a new process do not pay for loading the schema and
    /// parsing the statements on each reader: about 1.4 million instructions on a pool of two
    /// (callgrind), which the first 200 uncached GETs after a start carried as 7,200 each.
    func prepare(_ reads: [PreparedRead]) async throws {
        // Each reader's lock keeps this from overlapping a read that has checked it out.
        for reader in readers {
            try await threads.runIfActive {
                try reader.prepared.withLock { connection throws(SQLitePreparedError) in
                    for read in reads { try connection.prepare(read) }
                }
            }
        }
    }

    /// The reprepare counts of `read`'s kept statement on every reader that keeps one.
    func reprepareCounts(of read: PreparedRead) -> [Int] {
        readers.compactMap { reader in reader.prepared.withLock { $0.reprepareCount(of: read.sql) } }
    }

    private func checkOut() async -> Reader {
        if let reader = state.withLock({ $0.idle.popLast() }) { return reader }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Reader? in
                if let reader = state.idle.popLast() { return reader }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func checkIn(_ reader: Reader) {
        let waiter = state.withLock { state -> CheckedContinuation<Reader, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(reader)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: reader)
    }

    /// Closes every connection and stops the threads. No read may be running. (Each reader's
    /// prepared connection closes with the reader.)
    func close() async {
        for reader in readers { try? await reader.connection.close() }
        try? await threads.shutdownGracefully()
    }
}
