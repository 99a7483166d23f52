import ArtifactStorage
import NIOPosix
import Synchronization

/// The fsyncs of directories a write created, running on the thread pool beside the write
/// itself, and waited for before the write returns.
///
/// Exists because a write into a new shard directory changed its parent (one new entry) as well
/// as the shard (the object's entry), and the parent's fsync used to run first, before the bytes
/// were even written: on a disk whose flush takes milliseconds that was one flush more in every
/// such write's path. Both must be durable before the write is acknowledged, but nothing orders
/// them against each other or against the bytes (a crash before the acknowledgement leaves at
/// worst an empty directory, which is harmless), so the parent's fsync starts as soon as the
/// directory exists and waits for the device together with the write's own fsyncs.
final class DirectorySync: Sendable {
    private struct State {
        var outcome: Result<Void, SystemCallError>?
        var waiter: CheckedContinuation<Result<Void, SystemCallError>, Never>?
    }

    private let state = Mutex(State())

    /// Starts fsyncing `directories`, in order, on a thread of `pool` (on the calling thread if
    /// the pool no longer runs: the fsyncs are never skipped).
    static func start(_ directories: [OwnedDescriptor], on pool: NIOThreadPool) -> DirectorySync {
        let sync = DirectorySync()
        pool.submit { _ in
            var outcome: Result<Void, SystemCallError> = .success(())
            do throws(SystemCallError) {
                for directory in directories { try Sys.fsync(directory.raw) }
            } catch {
                outcome = .failure(error)
            }
            sync.finish(outcome)
        }
        return sync
    }

    private func finish(_ outcome: Result<Void, SystemCallError>) {
        let waiter = state.withLock { state in
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }

    /// Returns once every fsync has ended; throws the first that failed.
    func wait() async throws(SystemCallError) {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, SystemCallError>, Never>) in
            let ended = state.withLock { state in
                if state.outcome == nil { state.waiter = continuation }
                return state.outcome
            }
            if let ended { continuation.resume(returning: ended) }
        }
        try outcome.get()
    }
}
