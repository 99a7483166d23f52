import NIOPosix

/// A `TaskExecutor` that runs jobs as work items of a `NIOThreadPool`.
///
/// Exists for the SQLite connection's thread: a task that runs there awaits each statement
/// without any thread switch (the statement is the next work item on the same thread, and its
/// continuation the one after), where a task elsewhere wakes that thread for every statement and
/// is woken again for every result, a dozen thread switches per upload.
///
/// Promises: jobs run in the order they are enqueued, on the pool's threads (with a pool of one
/// thread, on that thread, interleaved in order with the pool's other work items). Once the pool
/// has shut down a job still runs, at once, on the thread that enqueues it: a job is never dropped.
final class ThreadPoolTaskExecutor: TaskExecutor, Sendable {
    let pool: NIOThreadPool

    init(_ pool: NIOThreadPool) {
        self.pool = pool
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { _ in
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
