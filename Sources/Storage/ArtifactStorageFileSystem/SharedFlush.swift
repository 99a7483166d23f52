import NIOPosix
import Synchronization

/// One flush of the whole file system (`syncfs`) shared by every write that waits for it: the
/// file system's group commit.
///
/// Exists because a small write made durable on its own costs a flush of the device for its
/// bytes, another for its directory and, in a store still filling its shards, a third for the
/// parent of a new shard directory. Each flush is a round trip to the device, and on a VM also
/// an exit to the host. One `syncfs` writes back everything dirty on the file system and
/// flushes the device once, so the writes that wait for the same flush share that cost: with
/// sixteen small uploads in flight, one flush covers most of them.
///
/// A waiter is covered only by a flush that *starts* after it asked: a flush already running
/// may have passed its bytes by. So a request while one runs waits for the next, which starts as
/// soon as the running one ends; every request made meanwhile joins it.
///
/// A failed flush fails every write waiting for it and every write after it, until the process
/// restarts. After a failed writeback the kernel may have dropped the dirty pages and reports
/// the error to one `syncfs` only; a later flush that succeeds proves nothing about the bytes
/// the failed one held (the lesson of PostgreSQL's "fsyncgate").
final class SharedFlush: Sendable {
    /// What a flush does: `syncfs` on a descriptor of the root, in the product; tests supply
    /// their own.
    typealias Operation = @Sendable () throws(SystemCallError) -> Void

    private typealias Waiter = (generation: UInt64, continuation: CheckedContinuation<Result<Void, SystemCallError>, Never>)

    private struct State {
        /// The generation of the latest flush started; `completed` when none runs.
        var started: UInt64 = 0
        var completed: UInt64 = 0
        var running = false
        /// Set by the first failure, for good.
        var failure: SystemCallError?
        var waiters: [Waiter] = []
        /// Flushes run, for tests and the logs.
        var flushes = 0
    }

    private let state = Mutex(State())
    private let operation: Operation
    private let pool: NIOThreadPool

    /// - Parameters:
    ///   - pool: where the flush blocks (one of its threads for as long as the flush takes).
    ///   - operation: the flush.
    init(pool: NIOThreadPool, operation: @escaping Operation) {
        self.pool = pool
        self.operation = operation
    }

    /// Returns once a flush that started after this call has ended: everything this caller
    /// wrote, renamed or created before calling is then on stable storage. Throws the flush's
    /// error, or the first error any flush met.
    func wait() async throws(SystemCallError) {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, SystemCallError>, Never>) in
            let (failed, start) = state.withLock { state -> (SystemCallError?, UInt64?) in
                if let failure = state.failure { return (failure, nil) }
                let generation = state.started + 1
                state.waiters.append((generation, continuation))
                guard !state.running else { return (nil, nil) }
                state.started = generation
                state.running = true
                return (nil, generation)
            }
            if let failed {
                continuation.resume(returning: .failure(failed))
            } else if let start {
                run(start)
            }
        }
        try outcome.get()
    }

    /// How many flushes have run.
    var flushes: Int { state.withLock { $0.flushes } }

    /// How many callers are waiting, for tests.
    var waiting: Int { state.withLock { $0.waiters.count } }

    private func run(_ generation: UInt64) {
        pool.submit { [self] _ in
            // Run whatever the pool's state (a pool shutting down still calls the job, marked
            // cancelled): a waiter is never answered without its flush.
            let result: Result<Void, SystemCallError>
            do throws(SystemCallError) {
                try operation()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            finish(generation, result)
        }
    }

    private func finish(_ generation: UInt64, _ result: Result<Void, SystemCallError>) {
        // The outcome is read under the same lock: the next flush, started here, may fail
        // before these waiters are answered, and must not turn their success into its failure.
        let (ready, outcome, next) = state.withLock { state -> ([Waiter], Result<Void, SystemCallError>, UInt64?) in
            state.flushes += 1
            state.completed = generation
            state.running = false
            if case .failure(let error) = result, state.failure == nil { state.failure = error }
            if let failure = state.failure {
                // Everyone waiting fails, including those who asked for the next flush.
                defer { state.waiters = [] }
                return (state.waiters, .failure(failure), nil)
            }
            let ready = state.waiters.filter { $0.generation <= generation }
            state.waiters.removeAll { $0.generation <= generation }
            guard !state.waiters.isEmpty else { return (ready, .success(()), nil) }
            state.started = generation + 1
            state.running = true
            return (ready, .success(()), generation + 1)
        }
        if let next { run(next) }
        for waiter in ready { waiter.continuation.resume(returning: outcome) }
    }
}
