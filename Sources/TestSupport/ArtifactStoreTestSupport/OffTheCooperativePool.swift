import Foundation
public import Testing

/// Runs a suite's or a test's work on threads of its own instead of Swift concurrency's shared
/// pool.
///
/// The cooperative pool has one thread per core: two on the CI machine. A test that blocks its
/// thread (waiting for a child process, polling a file with `usleep`, comparing a 1 GiB file)
/// holds one of those two threads for as long as it runs. Two such tests at once stop every
/// other test in the run: in one full run nothing at all finished for the first 47 s, and
/// trivial tests overran their 60 s time limit on a slower machine. Tests that block use this
/// trait; tests that only await keep the pool.
public struct OffTheCooperativePool: SuiteTrait, TestTrait, TestScoping {
    /// Whether the calling thread is one of the trait's own, so a test can see where it runs.
    public static var isOnOwnThread: Bool { pthread_getspecific(ownThreadKey) != nil }

    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        // Each test case runs in the scope; a suite itself has no body to move.
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @concurrent @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffTheCooperativePool {
    /// Runs the test (or every test of the suite) on threads of its own, so that blocking in it
    /// never holds a thread of the cooperative pool.
    public static var offTheCooperativePool: Self { OffTheCooperativePool() }
}

/// A task executor that runs every job on a new thread.
///
/// For tests only: a job that blocks for a minute holds its own thread and nobody else's. The
/// cost, a thread start per job (tens of microseconds), does not matter for tests that spend
/// their time waiting for processes.
final class ThreadPerJobExecutor: TaskExecutor {
    static let shared = ThreadPerJobExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread {
            pthread_setspecific(ownThreadKey, UnsafeRawPointer(bitPattern: 1))
            job.runSynchronously(on: executor)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Marks the executor's threads (its value is non-nil on them only).
private let ownThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
