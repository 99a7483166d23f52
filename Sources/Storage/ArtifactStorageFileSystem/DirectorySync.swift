import ArtifactStorage
import NIOPosix
import Synchronization

/// The fsync that makes a directory's new entry durable: the parent of a directory that a write
/// created, fsynced on the thread pool beside the write itself, and waited for by every write
/// that relies on that directory before it is acknowledged.
///
/// Exists because a write into a new shard directory changed its parent (one new entry) as well
/// as the shard (the object's entry), and the parent's fsync used to run first, before the bytes
/// were even written: on a disk whose flush takes milliseconds that was one flush more in every
/// such write's path. Both must be durable before the write is acknowledged, but nothing orders
/// them against each other or against the bytes (a crash before the acknowledgement leaves at
/// worst an empty directory, which is harmless), so the parent's fsync starts as soon as the
/// directory exists and waits for the device together with the write's own fsyncs.
///
/// A sync is created (and registered in ``PendingDirectorySyncs``) before the `mkdir`, so that a
/// second write that finds the new directory also finds the fsync it must wait for; it then
/// either starts or, when the `mkdir` created nothing, ends at once. Any number of writes may
/// wait for one sync.
final class DirectorySync: Sendable {
    private struct State {
        var outcome: Result<Void, SystemCallError>?
        var waiters: [CheckedContinuation<Result<Void, SystemCallError>, Never>] = []
    }

    private let state = Mutex(State())
    /// Called once, when the sync ends well (the registry forgets it).
    private let ended: @Sendable (DirectorySync) -> Void

    init(ended: @escaping @Sendable (DirectorySync) -> Void = { _ in }) {
        self.ended = ended
    }

    /// Starts fsyncing `directory` on a thread of `pool` (on the calling thread if the pool no
    /// longer runs: the fsync is never skipped).
    func start(_ directory: OwnedDescriptor, on pool: NIOThreadPool) {
        pool.submit { _ in
            do throws(SystemCallError) {
                try Sys.fsync(directory.raw)
                self.finish(.success(()))
            } catch {
                self.finish(.failure(error))
            }
        }
    }

    /// Ends the sync with `outcome`: `.success` without an fsync when nothing was created.
    func finish(_ outcome: Result<Void, SystemCallError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Result<Void, SystemCallError>, Never>]? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return }
        // A failed fsync stays registered: the new entry may never reach the device, so every
        // later write through that directory fails as well rather than be acknowledged.
        if case .success = outcome { ended(self) }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// Returns once the fsync has ended; throws if it failed.
    func wait() async throws(SystemCallError) {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, SystemCallError>, Never>) in
            let ended = state.withLock { state in
                if state.outcome == nil { state.waiters.append(continuation) }
                return state.outcome
            }
            if let ended { continuation.resume(returning: ended) }
        }
        try outcome.get()
    }

    /// Waits for every sync in `syncs`; throws the first failure.
    static func waitForAll(_ syncs: [DirectorySync]) async throws(SystemCallError) {
        for sync in syncs { try await sync.wait() }
    }
}
