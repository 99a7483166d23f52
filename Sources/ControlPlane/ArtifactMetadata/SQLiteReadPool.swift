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
/// order it asked; a read sees every transaction that committed before it began.
final class SQLiteReadPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection]
        var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    }

    let size: Int
    private let connections: [SQLiteConnection]
    private let threads: NIOThreadPool
    private let state: Mutex<State>

    private init(connections: [SQLiteConnection], threads: NIOThreadPool) {
        self.size = connections.count
        self.connections = connections
        self.threads = threads
        self.state = Mutex(State(idle: connections))
    }

    /// How many readers a machine gets: one per core, at least 2 and at most 8.
    static var defaultSize: Int { min(8, max(2, System.coreCount)) }

    /// Opens `size` read-only connections to the SQLite file at `path` (already in WAL mode).
    static func open(path: String, size: Int, logger: Logger) async throws -> SQLiteReadPool {
        let threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
        var opened: [SQLiteConnection] = []
        do {
            for _ in 0..<size {
                let connection = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: threads, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
                opened.append(connection)
                let db = connection.sql(queryLogLevel: nil)
                try await db.raw("PRAGMA busy_timeout=10000").run()
                try await db.raw("PRAGMA query_only=1").run()
            }
        } catch {
            for connection in opened { try? await connection.close() }
            try? await threads.shutdownGracefully()
            throw error
        }
        return SQLiteReadPool(connections: opened, threads: threads)
    }

    /// Runs `body` on an idle connection, waiting for one if all are busy.
    func withConnection<R>(_ body: (any SQLDatabase) async throws -> R) async throws -> R {
        let connection = await checkOut()
        defer { checkIn(connection) }
        return try await body(connection.sql(queryLogLevel: nil))
    }

    private func checkOut() async -> SQLiteConnection {
        if let connection = state.withLock({ $0.idle.popLast() }) { return connection }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> SQLiteConnection? in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func checkIn(_ connection: SQLiteConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<SQLiteConnection, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    /// Closes every connection and stops the threads. No read may be running.
    func close() async {
        for connection in connections { try? await connection.close() }
        try? await threads.shutdownGracefully()
    }
}
