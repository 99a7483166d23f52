import Hummingbird
import Logging
import Synchronization

/// The access line of one request: method, path, route template, status, bytes in and out, and
/// the time from the request's arrival to its response's last byte, written once.
///
/// Exists because the response a middleware sees is only a head and a body still to be written:
/// a line written there said a 5 s download took 0.4 ms. ``attach(to:)`` wraps a body that may
/// take time so the line is written when its last byte has been handed to the connection (or
/// when writing it failed, or when the response is dropped unsent: ``PendingAccessLine``), with
/// what it counted. A body known to be under ``immediateBodyLimit`` (errors, JSON, small blobs)
/// goes out with the head in one write and is not wrapped, which keeps Hummingbird's single-write
/// path for small answers and allocates nothing here; its line is written at once. Never logs a
/// header value, so never a credential.
struct AccessLogEntry: Sendable {
    /// Bodies of a known length below this are logged when the response is ready.
    static let immediateBodyLimit = 64 * 1024

    let logger: Logger
    let requestID: String
    let method: String
    let path: String
    let route: String
    let status: Int
    let start: ContinuousClock.Instant
    let now: @Sendable () -> ContinuousClock.Instant
    /// The request body's bytes as they are read; `nil` for a request without a body.
    let received: ByteTally?

    /// `response`, with its body wrapped when the line must wait for the body's last byte.
    func attach(to response: Response) -> Response {
        let declared = response.body.contentLength
        if let declared, declared < Self.immediateBodyLimit {
            write(bytesOut: declared, outcome: nil)
            return response
        }
        var response = response
        let body = response.body
        let pending = PendingAccessLine(self)
        response.body = ResponseBody(contentLength: declared) { writer in
            do {
                try await body.write(CountingResponseBodyWriter(base: writer, tally: pending.sent))
            } catch {
                pending.write(bytesOut: pending.sent.total, outcome: "failed: \(error)")
                throw error
            }
            // A declared length is what went out (a file region passes the writer as a placeholder).
            pending.write(bytesOut: declared ?? pending.sent.total, outcome: nil)
        }
        return response
    }

    /// Writes the line, unless the logger drops `info` lines (then nothing is built: at
    /// `warning` this was some 8,000 instructions of every small GET, callgrind).
    func write(bytesOut: Int, outcome: String?) {
        guard logger.logLevel <= .info else { return }
        let elapsed = now() - start
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID), "method": .string(method), "path": .string(path), "route": .string(route),
            "status": .stringConvertible(status), "bytes_in": .stringConvertible(received?.total ?? 0),
            "bytes_out": .stringConvertible(bytesOut), "duration_ms": .stringConvertible(Double(elapsed.nanoseconds / 1000) / 1000),
        ]
        if let outcome { metadata["outcome"] = .string(outcome) }
        logger.info("request", metadata: metadata)
    }
}

/// The access line of a response whose body is still to be written: written once, when the
/// body ends or fails, or, if the body is never written (the connection went away before the
/// head), when the response is dropped.
final class PendingAccessLine: Sendable {
    let entry: AccessLogEntry
    let sent = ByteTally()
    private let written = Atomic<Bool>(false)

    init(_ entry: AccessLogEntry) {
        self.entry = entry
    }

    func write(bytesOut: Int, outcome: String?) {
        guard !written.exchange(true, ordering: .relaxed) else { return }
        entry.write(bytesOut: bytesOut, outcome: outcome)
    }

    deinit {
        write(bytesOut: sent.total, outcome: "not sent")
    }
}

/// A running count of bytes, shared by whoever counts them and whoever reports them.
final class ByteTally: Sendable {
    private let count = Atomic<Int>(0)

    var total: Int { count.load(ordering: .relaxed) }

    func add(_ bytes: Int) {
        count.add(bytes, ordering: .relaxed)
    }
}
