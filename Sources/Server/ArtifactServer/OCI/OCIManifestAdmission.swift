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
/// next one's. Once the last one of a burst is done they are handed back again after
/// ``settleDelay``: what its request held until its response was written (the body, the answer)
/// is freed only after its turn ends, and without that second trim it stayed resident (6 MiB
/// after eight 4 MB manifests, with the heap's live bytes back at idle).
final class OCIManifestAdmission: Sendable {
    /// A manifest body larger than this (or of unknown length) is large.
    static let largeThreshold = 256 * 1024

    /// How long after the last large manifest of a burst the heap is trimmed again: long enough
    /// for its request to have answered and freed what it held.
    static let defaultSettleDelay = Duration.seconds(1)

    private struct State {
        var busy = false
        var nextID = 0
        /// Waiters in arrival order.
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        /// Counts the times the queue emptied; a settle trim runs only if no turn began since.
        var idleSpells = 0
    }

    private let state = Mutex(State())
    private let settleDelay: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let returnFreedMemory: @Sendable () -> Void

    /// - Parameters:
    ///   - settleDelay: how long after the last large manifest of a burst the heap is trimmed again.
    ///   - sleep: waits that long (tests pass one they control).
    ///   - returnFreedMemory: hands the heap's free pages back (tests count the calls).
    init(
        settleDelay: Duration = defaultSettleDelay,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        returnFreedMemory: @escaping @Sendable () -> Void = { ServerProcessTuning.returnFreedMemory() }
    ) {
        self.settleDelay = settleDelay
        self.sleep = sleep
        self.returnFreedMemory = returnFreedMemory
    }

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

    /// Returns the manifest's memory, then hands the turn to the first waiter, or frees it and
    /// schedules the settle trim.
    private func release() {
        returnFreedMemory()
        let handOff = state.withLock { state -> (next: CheckedContinuation<Void, any Error>?, idleSpell: Int) in
            guard !state.waiting.isEmpty else {
                state.busy = false
                state.idleSpells += 1
                return (nil, state.idleSpells)
            }
            return (state.waiting.removeFirst().continuation, 0)
        }
        guard let next = handOff.next else {
            scheduleSettleTrim(after: handOff.idleSpell)
            return
        }
        next.resume()
    }

    /// Trims the heap once ``settleDelay`` has passed, unless a large manifest's turn began in
    /// the meantime (its own end trims, and schedules another).
    private func scheduleSettleTrim(after idleSpell: Int) {
        Task { [self] in
            do { try await sleep(settleDelay) } catch { return }
            let stillIdle = state.withLock { !$0.busy && $0.idleSpells == idleSpell }
            if stillIdle { returnFreedMemory() }
        }
    }
}
