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
/// The group first runs without savepoints (each is a statement, and a trip to the connection's
/// thread, per transaction); only when a body throws is the group rolled back and run again with a
/// savepoint per body.
///
/// Promises, the same as one transaction at a time:
/// - each body sees the writes of the bodies before it, as if serial; it runs once, or, when a
///   body of its group threw, once more in the second run, whose outcome alone counts (bodies
///   must have no effects outside the database: ``MetadataStore/transaction(_:)``);
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
        // A lone body that throws has its answer: the rollback undid all it wrote.
        if await commit(jobs, savepoints: false, on: db, wrap: wrap) || jobs.count == 1 { return }
        await commit(jobs, savepoints: true, on: db, wrap: wrap)
    }

    /// Runs `jobs` in one transaction and commits it. Without `savepoints`, the first body that
    /// throws stops the run and rolls everything back: returns `false` (run it again with them).
    /// With `savepoints`, each body opens one nested in the previous body's (none is released:
    /// the COMMIT releases them all), and one that throws rolls back to its own, leaving the
    /// writes of the bodies before it. A failed BEGIN or COMMIT (or undoing a savepoint) gives
    /// every body that error, with nothing committed; that, like success, returns `true`.
    @discardableResult
    private func commit(_ jobs: [Job], savepoints: Bool, on db: any SQLDatabase, wrap: @Sendable (any Error) -> any Error) async -> Bool {
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
        } catch {
            for job in jobs { job.failAll(wrap(error)) }
            return true
        }
        do {
            for job in jobs {
                if savepoints {
                    try await db.raw("SAVEPOINT grouped").run()
                    if await !job.run(db) {
                        try await db.raw("ROLLBACK TO grouped").run()
                    }
                } else if await !job.run(db) {
                    try await db.raw("ROLLBACK").run()
                    return false
                }
            }
            try await db.raw("COMMIT").run()
            return true
        } catch {
            // A savepoint could not be undone or the commit failed: nothing of the group is
            // acknowledged, and every body gets this error.
            try? await db.raw("ROLLBACK").run()
            let failure = wrap(error)
            for job in jobs { job.failAll(failure) }
            return true
        }
    }
}
