import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// Exists so a connection's request handling runs on the thread that reads and writes its
/// socket. Without it every request crosses threads twice (the event loop hands the parsed
/// request to a task on Swift's cooperative pool, which hands the response back), and on a
/// small machine those wake-ups cost more than the work of a small request.
///
/// What it promises: jobs run in the order they are enqueued, on `eventLoop`'s thread, and a
/// job enqueued from that thread never wakes another one. It never blocks: a job that would
/// block the loop must not be given to it (CPU-heavy work such as hashing a large stream is
/// moved to the global executor by whoever starts it).
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
