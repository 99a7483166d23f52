import NIOCore

/// A Swift `TaskExecutor` that runs jobs on one NIO event loop.
///
/// Exists so a connection's task can prefer the event loop its socket lives on
/// (``EventLoopBoundChildChannel``): on Swift's global pool every request crossed threads twice
/// (the event loop that read it woke a pool thread, whose answer woke the event loop again), and
/// for short requests those wake-ups were the largest cost in a profile. A job enqueued from the
/// loop's own thread runs on it without a wake-up.
final class EventLoopTaskExecutor: TaskExecutor {
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
