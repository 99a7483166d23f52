import SQLKit
import Synchronization

/// Commits the transactions waiting for an SQLite connection together, in one `BEGIN … COMMIT`,
/// each in a savepoint of its own.
///
/// Exists because an SQLite store has one connection and `synchronous=FULL`: every commit waits
/// for an fsync of the WAL, so concurrent small mutations (16 uploads each linking a blob)
/// queued behind one another's fsyncs. Here one draining task, started by the first transaction
/// queued while none runs, takes every transaction queued at that moment, runs them in arrival
/// order and commits once: one fsync for the whole group; then the next group, until none is
/// queued. It runs on the connection's own thread (``ThreadPoolTaskExecutor``), so the group's
/// statements follow one another without a thread switch, and each caller is woken once, when
/// its group has ended.
///
/// The group first runs without savepoints (a savepoint is a statement per transaction); only
/// when a body throws is the group rolled back and run again with a savepoint per body.
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
    /// A queued transaction: runs its body, keeps the outcome, and hands it to its caller.
    final class Job: Sendable {
        /// Runs the body and keeps its outcome; `false` when it threw.
        let run: @Sendable (any SQLDatabase) async -> Bool
        /// Replaces the outcome with an error that befell the whole group.
        let failAll: @Sendable (any Error) -> Void
        /// Resumes the caller with the outcome (exactly once, after the group's end).
        let finish: @Sendable () -> Void

        init(
            run: @escaping @Sendable (any SQLDatabase) async -> Bool,
            failAll: @escaping @Sendable (any Error) -> Void,
            finish: @escaping @Sendable () -> Void
        ) {
            self.run = run
            self.failAll = failAll
            self.finish = finish
        }
    }

    private struct State {
        var queue: [Job] = []
        /// Whether a task is running groups until the queue is empty.
        var draining = false
    }

    /// The most transactions in one group (bounds the time one commit holds the others).
    let maximumGroup: Int
    /// Where groups run: the connection's own thread, so a group's statements follow one
    /// another there without a thread switch (``ThreadPoolTaskExecutor``).
    let executor: (any TaskExecutor)?
    private let state = Mutex(State())
    private let gate = AsyncSerialGate()

    init(executor: (any TaskExecutor)?, maximumGroup: Int = 64) {
        self.executor = executor
        self.maximumGroup = maximumGroup
    }

    /// Transactions waiting for a group (tests use it to line several up).
    var queuedCount: Int { state.withLock { $0.queue.count } }

    /// Runs `body` in the next group commit on `db`, and returns its result once committed.
    ///
    /// The group runs in a task of its own, so the caller's cancellation never reaches a
    /// transaction once queued: it always ends in COMMIT or ROLLBACK, and the caller waits for it.
    ///
    /// - Parameter wrap: turns a driver error into the store's error.
    func transaction<R: Sendable>(
        on db: any SQLDatabase,
        wrap: @escaping @Sendable (any Error) -> any Error,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
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
                failAll: { error in outcome.withLock { $0 = .failure(error) } },
                finish: {
                    let result =
                        outcome.withLock { $0 }
                        ?? .failure(MetadataStoreError(.database, "a grouped transaction finished without an outcome"))
                    continuation.resume(with: result)
                }
            )
            let startsDraining = state.withLock { state -> Bool in
                state.queue.append(job)
                defer { state.draining = true }
                return !state.draining
            }
            if startsDraining {
                Task(executorPreference: executor) { await self.drain(on: db, wrap: wrap) }
            }
        }
    }

    /// Runs read-only `body` between groups (SQLite's one connection is not shared mid-transaction),
    /// on the connection's thread. `body` is `@concurrent` so that calling it moves to the
    /// preferred executor (a nonsending closure would start on the caller's thread).
    func withTurn<R: Sendable>(_ body: @concurrent @Sendable () async throws -> R) async throws -> R {
        try await gate.withTurn {
            try await withTaskExecutorPreference(executor, operation: body)
        }
    }

    /// Runs groups, one turn of the gate each (so reads waiting for the connection get theirs in
    /// between), until no transaction is queued.
    private func drain(on db: any SQLDatabase, wrap: @escaping @Sendable (any Error) -> any Error) async {
        while true {
            // Taken under the gate: a read holding the connection lets everything that arrives
            // meanwhile gather into the next group.
            let finished = await gate.withTurn { () async -> Bool in
                let jobs = state.withLock { state -> [Job] in
                    let taken = Array(state.queue.prefix(maximumGroup))
                    state.queue.removeFirst(taken.count)
                    if taken.isEmpty { state.draining = false }
                    return taken
                }
                if jobs.isEmpty { return true }
                await runGroup(jobs, on: db, wrap: wrap)
                return false
            }
            if finished { return }
        }
    }

    /// Commits `jobs` together, then resumes each caller.
    private func runGroup(_ jobs: [Job], on db: any SQLDatabase, wrap: @Sendable (any Error) -> any Error) async {
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
