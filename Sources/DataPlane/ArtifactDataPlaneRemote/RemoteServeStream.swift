import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneWire
import NIOCore
import Synchronization

/// The bytes of a remote serve, as the daemon's data frames arrive; grants credit back in
/// batches of half the window as the consumer takes chunks.
struct RemoteServeStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let reader: RemoteServeReader

    struct AsyncIterator: AsyncIteratorProtocol {
        let reader: RemoteServeReader

        mutating func next() async throws -> ByteBuffer? {
            try await reader.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
}

/// One serve call's receiving side. A consumer that stops early (drops the stream before its
/// end) makes it send `cancel` and free the call slot.
final class RemoteServeReader: Sendable {
    private struct State {
        var taken = 0
        var done = false
    }

    let call: RemoteCall
    let window: Int
    private let state = Mutex(State())

    init(call: RemoteCall, window: Int) {
        self.call = call
        self.window = window
    }

    func next() async throws(DataPlaneError) -> ByteBuffer? {
        guard !state.withLock({ $0.done }) else { return nil }
        do {
            let frame = try await call.next()
            switch frame.kind {
            case .data:
                guard case .bytes(let payload) = frame.body else { throw DataPlaneWireError(.malformedFrame, "data frame without bytes") }
                let grant = state.withLock { state -> Int in
                    state.taken += 1
                    guard state.taken >= max(1, window / 2) else { return 0 }
                    defer { state.taken = 0 }
                    return state.taken
                }
                if grant > 0 {
                    try await call.send(Frame(.credit, call: call.id, body: .value(.unsigned(UInt64(grant)))))
                }
                return payload
            case .end:
                finish()
                return nil
            case .error:
                finish()
                throw try frame.decodeBody(WireFailure.self).dataPlaneError
            default:
                throw DataPlaneWireError(.protocolViolation, "the daemon sent \(frame.kind) on serve call \(call.id)")
            }
        } catch {
            let mapped = RemoteDataPlane.dataPlaneError(error, operation: "serve")
            if !state.withLock({ $0.done }) { abandon() }
            throw mapped
        }
    }

    private func finish() {
        state.withLock { $0.done = true }
        call.release()
    }

    /// Cancels the call on the daemon and frees its slot.
    private func abandon() {
        let first = state.withLock { state -> Bool in
            defer { state.done = true }
            return !state.done
        }
        guard first else { return }
        let call = call
        if let frame = try? Frame.control(.cancel, call: call.id, WireCancel(reason: .cancelled, message: "the consumer stopped reading")) {
            Task { await call.sendUncancellably(frame) }
        }
        call.release()
    }

    deinit {
        abandon()
    }
}
