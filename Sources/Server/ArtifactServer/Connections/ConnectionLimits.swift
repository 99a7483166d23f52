import Synchronization

/// How long a connection may take to say what it wants, and how many may be open at once.
///
/// Exists because a connection that never finishes its request (slowloris), never sends one, or
/// stops sending its body would otherwise hold a socket, a descriptor and memory for ever:
/// 500 such connections took the server from 24 to 876 descriptors (issue 18). Each limit is a
/// configuration key (docs/operations.md, "Connections"); ``ConnectionGate`` enforces them.
public struct ConnectionLimits: Sendable, Hashable {
    /// From a connection's acceptance, or from the first byte of a later request, until the
    /// request's head has been read in full. Closes slowloris connections and silent new ones.
    public var headerReadTimeout: Duration = .seconds(10)
    /// How long a kept-alive connection may wait, after a response, for the next request's first
    /// byte.
    public var idleTimeout: Duration = .seconds(60)
    /// How long the server waits for the next bytes of a body it has asked for. Time the
    /// server itself spends not reading (back-pressure while it stores) does not count.
    public var bodyIdleTimeout: Duration = .seconds(60)
    /// Connections open at once; one more is answered `503` with `Retry-After` and closed.
    public var maxConnections = 4096
    /// After a refusal that closes the connection (`Connection: close`, a malformed or oversized
    /// head, `503`), how long the server goes on reading and discarding what the client still
    /// sends before it closes the socket anyway. Reading lets the client see the answer rather
    /// than a reset; the bound releases the descriptor even from a client that never closes.
    public var lingerTimeout: Duration = .seconds(2)

    public init() {}
}

/// The count of open connections of one server, shared by all its event loops.
final class ConnectionCounter: Sendable {
    private let open = Atomic<Int>(0)

    init() {}

    /// Counts one more connection if fewer than `maximum` are open; `false` (and nothing
    /// counted) otherwise.
    func acquire(maximum: Int) -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    /// Connections counted now.
    var count: Int { open.load(ordering: .relaxed) }
}
