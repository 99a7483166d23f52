import SQLKit
import Synchronization

/// Commits the transactions waiting for an SQLite connection together, in one `BEGIN … COMMIT`,
/// each in a savepoint of its own.
///
/// Exists because an SQLite store has one connection and `synchronous=FULL`: every commit waits
/// for an fsync of the WAL, so concurrent small mutations (16 uploads each linking a blob)
/// queued behind one another's fsyncs. Here the task whose turn comes runs every transaction
/// queued at that moment, in arrival order, and commits once: one fsync for the whole group.
///
/// Promises, the same as one transaction at a time:
/// - each body runs exactly once and sees the writes of the bodies before it, as if serial;
/// - a body that throws has its writes undone (`ROLLBACK TO` its savepoint) and gets its error;
///   the others are unaffected;
/// - a body's result is returned only after the `COMMIT` that made its writes durable; if the
///   commit (or undoing a failed body) fails, every body of the group gets that error and the
///   whole group is rolled back: nothing is acknowledged that was not committed.
final class SQLiteGroupCommit: Sendable {
    /// A queued transaction: runs its body and keeps the outcome for its caller.
    final class Job: Sendable {
        let run: @Sendable (any SQLDatabase) async -> Bool
        let failAll: @Sendable (any Error) -> Void
        private let finished = Mutex(false)

        init(run: @escaping @Sendable (any SQLDatabase) async -> Bool, failAll: @escaping @Sendable (any Error) -> Void) {
            self.run = run
            self.failAll = failAll
        }

        var isFinished: Bool { finished.withLock { $0 } }
        func finish() { finished.withLock { $0 = true } }
    }

    /// The most transactions in one group (bounds the time one commit holds the others).
    let maximumGroup: Int
    private let queue = Mutex<[Job]>([])
    private let gate = AsyncSerialGate()

    init(maximumGroup: Int = 64) {
        self.maximumGroup = maximumGroup
    }

    /// Transactions waiting for a group (tests use it to line several up).
    var queuedCount: Int { queue.withLock { $0.count } }

    /// Runs `body` in the next group commit on `db`, and returns its result once committed.
    ///
    /// - Parameter wrap: turns a driver error into the store's error.
    func transaction<R: Sendable>(
        on db: any SQLDatabase, wrap: @escaping @Sendable (any Error) -> any Error, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let outcome = Mutex<Result<R, any Error>?>(nil)
        let job = Job(
            run: { db in
                do {
                    let result = try await body(db)
                    outcome.withLock { $0 = .success(result) }
                    return true
                } catch {
                    outcome.withLock { $0 = .failure(wrap(error)) }
                    return false
                }
            },
            failAll: { error in outcome.withLock { $0 = .failure(error) } })
        queue.withLock { $0.append(job) }
        // The job was queued before asking for a turn, so by the end of this turn (or an
        // earlier one, which ended before it began) some turn has run it.
        try await withTurn {
            while !job.isFinished { await self.runGroup(on: db, wrap: wrap) }
        }
        guard let result = outcome.withLock({ $0 }) else {
            throw MetadataStoreError(.database, "a grouped transaction finished without an outcome")
        }
        return try result.get()
    }

    /// Runs read-only `body` between groups (SQLite's one connection is not shared mid-transaction).
    func withTurn<R>(_ body: () async throws -> R) async throws -> R {
        try await gate.withTurn(body)
    }

    /// Takes up to ``maximumGroup`` queued jobs and commits them together.
    private func runGroup(on db: any SQLDatabase, wrap: @Sendable (any Error) -> any Error) async {
        let jobs = queue.withLock { queue -> [Job] in
            let taken = Array(queue.prefix(maximumGroup))
            queue.removeFirst(taken.count)
            return taken
        }
        guard !jobs.isEmpty else { return }
        defer { for job in jobs { job.finish() } }
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
        } catch {
            for job in jobs { job.failAll(wrap(error)) }
            return
        }
        do {
            // Each job opens a savepoint nested in the previous job's; none is released, as the
            // COMMIT releases them all. A failed job rolls back to its own (the innermost) and
            // leaves the writes of the jobs before it. One statement per job instead of two: each
            // statement is a trip to the connection's thread.
            for job in jobs {
                try await db.raw("SAVEPOINT grouped").run()
                if await !job.run(db) {
                    try await db.raw("ROLLBACK TO grouped").run()
                }
            }
            try await db.raw("COMMIT").run()
        } catch {
            // A savepoint could not be undone or the commit failed: nothing of the group is
            // acknowledged, and every body gets this error.
            try? await db.raw("ROLLBACK").run()
            let failure = wrap(error)
            for job in jobs { job.failAll(failure) }
        }
    }
}
