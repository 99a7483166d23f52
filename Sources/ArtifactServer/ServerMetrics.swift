import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactStoreCore
import CoreMetrics
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of its own
/// and exposed at `/metrics` (docs/operations.md, "Metrics").
///
/// Exists so each server instance (and each test) has its own registry: nothing is bootstrapped
/// process-wide. Every metric is created with this registry's factory.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    // The metrics every transfer records, made once (see `requestHandles`); exposed from the
    // start, at zero.
    private let bytesReceived: CoreMetrics.Counter
    private let bytesSent: CoreMetrics.Counter
    private let bytesSentFromFiles: CoreMetrics.Counter
    private let ingestDuration: CoreMetrics.Timer
    private let dedupHits: CoreMetrics.Counter
    private let repairs: CoreMetrics.Counter
    private let serveDuration: CoreMetrics.Timer
    /// The request counter and timer of each route, method and status seen, made once: making
    /// them through the factory on every request was about 3% of a small request's CPU. Bounded
    /// by the routes (unknown paths are all `unmatched`), methods and statuses the server sends.
    private let requestHandles = Mutex<[RequestMetricKey: (counter: CoreMetrics.Counter, timer: CoreMetrics.Timer)]>([:])

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        factory.defaultDurationHistogramBuckets = latencyBuckets
        self.registry = registry
        self.factory = factory
        bytesReceived = Counter(label: "artifactstore_http_received_bytes_total", factory: factory)
        bytesSent = Counter(label: "artifactstore_http_sent_bytes_total", factory: factory)
        bytesSentFromFiles = Counter(label: "artifactstore_http_sent_file_region_bytes_total", factory: factory)
        ingestDuration = Metrics.Timer(label: "artifactstore_ingest_duration_seconds", factory: factory)
        dedupHits = Counter(label: "artifactstore_dedup_hits_total", factory: factory)
        repairs = Counter(label: "artifactstore_repaired_objects_total", factory: factory)
        serveDuration = Metrics.Timer(label: "artifactstore_serve_duration_seconds", factory: factory)
    }

    /// One request finished: `route` is the route's path template (or `unmatched`).
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = RequestMetricKey(route: route, method: method, status: status)
        let handles = requestHandles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = (
                counter: Counter(
                    label: "artifactstore_http_requests_total", dimensions: [("route", route), ("method", method), ("status", "\(status)")],
                    factory: factory),
                timer: Metrics.Timer(label: "artifactstore_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            )
            handles[key] = made
            return made
        }
        handles.counter.increment()
        handles.timer.recordNanoseconds(duration.nanoseconds)
    }

    func recordBytesIn(_ count: Int) {
        bytesReceived.increment(by: count)
    }

    func recordBytesOut(_ count: Int) {
        bytesSent.increment(by: count)
    }

    /// Bytes of a download the kernel sent from its file (``DownloadBody``); also counted as sent.
    func recordBytesSentFromFile(_ count: Int) {
        recordBytesOut(count)
        bytesSentFromFiles.increment(by: count)
    }

    /// A blob upload finished (stored or refused).
    func recordIngest(duration: Duration, deduplicated: Bool?, repaired: Bool? = nil) {
        ingestDuration.recordNanoseconds(duration.nanoseconds)
        if deduplicated == true {
            dedupHits.increment()
        }
        if repaired == true {
            repairs.increment()
        }
    }

    /// A blob or file download was answered: time until the response (headers) was ready.
    func recordServe(duration: Duration) {
        serveDuration.recordNanoseconds(duration.nanoseconds)
    }

    /// A garbage collection ran (a dry run is not counted).
    public func recordGarbageCollection(_ report: GarbageCollectionReport) {
        guard report.ran, !report.dryRun else { return }
        Counter(label: "artifactstore_gc_runs_total", factory: factory).increment()
        Counter(label: "artifactstore_gc_blobs_deleted_total", factory: factory).increment(by: report.blobsDeleted)
        Counter(label: "artifactstore_gc_bytes_deleted_total", factory: factory).increment(by: Int(clamping: report.bytesDeleted))
        Counter(label: "artifactstore_gc_links_expired_total", factory: factory).increment(by: report.linksExpired)
    }

    /// The last health check of each backend: 1 healthy, 0 not.
    func recordBackendHealth(_ statuses: [BackendStatus]) {
        for status in statuses {
            Gauge(label: "artifactstore_backend_healthy", dimensions: [("backend", status.backendID)], factory: factory)
                .record(status.isHealthy ? 1 : 0)
        }
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// `stream`, counting the bytes that pass through as sent.
    func countingSent(_ stream: ByteStream) -> ByteStream {
        ByteStream(ByteCountingSequence(base: stream) { [self] in self.recordBytesOut($0) })
    }

    /// A request body, counting the bytes that pass through as received (never collected).
    func countingReceived<Body: AsyncSequence & Sendable>(_ body: Body) -> ByteStream where Body.Element == ByteBuffer {
        ByteStream(ByteCountingSequence(base: body) { [self] in self.recordBytesIn($0) })
    }
}

/// What the request metrics are labelled by.
struct RequestMetricKey: Hashable, Sendable {
    var route: String
    var method: String
    var status: Int
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
