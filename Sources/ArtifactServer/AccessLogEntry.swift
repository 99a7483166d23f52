import Hummingbird
import Logging
import Synchronization

/// The access line of one request: method, path, route template, status, bytes in and out, and
/// the time from the request's arrival to its response's last byte, written once.
///
/// Exists because the response a middleware sees is only a head and a body still to be written:
/// a line written there said a 5 s download took 0.4 ms. ``attach(to:)`` wraps a body that may
/// take time so the line is written when its last byte has been handed to the connection (or
/// when writing it failed, or when the response is dropped unsent), with what it counted. A body
/// known to be under ``immediateBodyLimit`` (errors, JSON, small blobs) goes out with the head in
/// one write and is not wrapped, which keeps Hummingbird's single-write path for small answers;
/// its line is written at once. Never logs a header value, so never a credential.
final class AccessLogEntry: Sendable {
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
    let received: ByteTally
    let sent = ByteTally()
    private let written = Atomic<Bool>(false)

    init(
        logger: Logger, requestID: String, method: String, path: String, route: String, status: Int, start: ContinuousClock.Instant,
        now: @escaping @Sendable () -> ContinuousClock.Instant, received: ByteTally
    ) {
        self.logger = logger
        self.requestID = requestID
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.start = start
        self.now = now
        self.received = received
    }

    /// `response`, with its body wrapped when the line must wait for the body's last byte.
    func attach(to response: Response) -> Response {
        let declared = response.body.contentLength
        if let declared, declared < Self.immediateBodyLimit {
            write(bytesOut: declared, outcome: nil)
            return response
        }
        var response = response
        let body = response.body
        response.body = ResponseBody(contentLength: declared) { [self] writer in
            do {
                try await body.write(CountingResponseBodyWriter(base: writer, tally: sent))
            } catch {
                write(bytesOut: sent.total, outcome: "failed: \(error)")
                throw error
            }
            // A declared length is what went out (a file region passes the writer as a placeholder).
            write(bytesOut: declared ?? sent.total, outcome: nil)
        }
        return response
    }

    deinit {
        // The body was never written (the connection went away before the head).
        write(bytesOut: sent.total, outcome: "not sent")
    }

    /// Writes the line, the first time only.
    func write(bytesOut: Int, outcome: String?) {
        guard !written.exchange(true, ordering: .relaxed) else { return }
        let elapsed = now() - start
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID), "method": .string(method), "path": .string(path), "route": .string(route),
            "status": .stringConvertible(status), "bytes_in": .stringConvertible(received.total), "bytes_out": .stringConvertible(bytesOut),
            "duration_ms": .stringConvertible(Double(elapsed.nanoseconds / 1000) / 1000),
        ]
        if let outcome { metadata["outcome"] = .string(outcome) }
        logger.info("request", metadata: metadata)
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
