import Foundation
import Synchronization

/// Lets one large manifest PUT at a time hold its body in memory; the others wait with their
/// bodies unread (the connection's back-pressure keeps the bytes in the client's socket).
///
/// Exists because a manifest is checked whole before anything is stored, so its body, its
/// descriptors and its reference checks are in memory together: a 4 MB manifest costs several
/// times its size for about a second. Eight such PUTs at once would cost eight times that
/// (issue 18: 271 MiB peak). Admitting one at a time bounds the peak by one manifest's cost,
/// whatever the number of clients; manifests of at most ``largeThreshold`` bytes (every real
/// image's: a manifest of 100 layers is about 16 KB) never wait. A waiter that is cancelled
/// (its client went away) leaves the queue at once. After each large manifest the heap's free
/// pages go back to the system (``ServerProcessTuning/returnFreedMemory()``, a few milliseconds
/// beside the manifest's hundreds), so a burst does not pile one manifest's leftovers on the
/// next one's and the memory is returned, not only reusable.
final class OCIManifestAdmission: Sendable {
    /// A manifest body larger than this (or of unknown length) is large.
    static let largeThreshold = 256 * 1024

    private struct State {
        var busy = false
        var nextID = 0
        /// Waiters in arrival order.
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state = Mutex(State())

    /// Whether a body of `contentLength` bytes (`nil`: not said) must wait its turn.
    static func isLarge(contentLength: UInt64?) -> Bool {
        contentLength.map { $0 > UInt64(largeThreshold) } ?? true
    }

    /// Runs `body` once no other large manifest is being handled.
    /// - Throws: `CancellationError` when the task is cancelled while waiting; what `body` throws.
    func admitted<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let id = state.withLock { state -> Int? in
            if !state.busy {
                state.busy = true
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiting.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Returns the manifest's memory, then hands the turn to the first waiter, or frees it.
    private func release() {
        ServerProcessTuning.returnFreedMemory()
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume()
    }
}
