public import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactStoreCore
import NIOCore
public import Prometheus
import Synchronization

/// The server's metrics, in a Prometheus registry of its own, exposed at `/metrics`
/// (docs/operations.md, "Metrics"): every family with `# HELP` and `# TYPE`, the process's
/// `process_*` metrics read from `/proc` at each scrape (``ProcessMetrics``), and
/// `artifactstore_build_info{version=…} 1`.
///
/// Exists so each server instance (and each test) has its own registry: nothing is bootstrapped
/// process-wide. Metrics are made with the registry directly, not through swift-metrics, because
/// only the registry takes help text.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    // The metrics every transfer records, made once (see `requestHandles`); exposed from the
    // start, at zero.
    private let bytesReceived: Prometheus.Counter
    private let bytesSent: Prometheus.Counter
    private let bytesSentFromFiles: Prometheus.Counter
    private let ingestDuration: DurationHistogram
    private let dedupHits: Prometheus.Counter
    private let repairs: Prometheus.Counter
    private let serveDuration: DurationHistogram
    private let gcRuns: Prometheus.Counter
    private let gcBlobsDeleted: Prometheus.Counter
    private let gcBytesDeleted: Prometheus.Counter
    private let gcLinksExpired: Prometheus.Counter
    /// The request counter and timer of each route, method and status seen, made once: making
    /// them on every request was about 3% of a small request's CPU. Bounded by the routes
    /// (unknown paths are all `unmatched`), methods and statuses the server sends.
    /// Per-namespace usage gauges, rendered from the counter rows and cached between scrapes.
    let namespaceUsage = NamespaceUsageGauges()
    private let requestHandles = Mutex<[RequestMetricKey: (counter: Prometheus.Counter, timer: DurationHistogram)]>([:])

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Prometheus.Counter {
            registry.makeCounter(descriptor: Self.descriptor(name, help))
        }
        func timer(_ name: String, _ help: String) -> DurationHistogram {
            registry.makeDurationHistogram(descriptor: Self.descriptor(name, help), buckets: Self.latencyBuckets)
        }
        bytesReceived = counter("artifactstore_http_received_bytes_total", "Blob bytes read from request bodies.")
        bytesSent = counter("artifactstore_http_sent_bytes_total", "Blob and file bytes sent in responses.")
        bytesSentFromFiles = counter(
            "artifactstore_http_sent_file_region_bytes_total",
            "Bytes sent by the kernel from object files (sendfile); also in sent_bytes."
        )
        ingestDuration = timer("artifactstore_ingest_duration_seconds", "Time to ingest one blob upload, stored or refused.")
        dedupHits = counter("artifactstore_dedup_hits_total", "Uploads whose content was already stored.")
        repairs = counter(
            "artifactstore_repaired_objects_total",
            "Stored objects found damaged or missing and replaced by the bytes of a new upload."
        )
        serveDuration = timer("artifactstore_serve_duration_seconds", "Time until a blob or file download's response head was ready.")
        gcRuns = counter("artifactstore_gc_runs_total", "Garbage collections run (dry runs not counted).")
        gcBlobsDeleted = counter("artifactstore_gc_blobs_deleted_total", "Blobs deleted by garbage collection.")
        gcBytesDeleted = counter("artifactstore_gc_bytes_deleted_total", "Bytes deleted by garbage collection.")
        gcLinksExpired = counter("artifactstore_gc_links_expired_total", "Blob links expired by garbage collection.")
        registry.makeGauge(
            descriptor: Self.descriptor("artifactstore_build_info", "The running build: always 1, with its version as a label."),
            labels: [("version", ArtifactStoreVersion.current)]
        ).set(to: 1)
    }

    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// One request finished: `route` is the route's path template (or `unmatched`).
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = RequestMetricKey(route: route, method: method, status: status)
        let handles = requestHandles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = (
                counter: registry.makeCounter(
                    descriptor: Self.descriptor(
                        "artifactstore_http_requests_total",
                        "Requests answered, by route template, method and status."
                    ),
                    labels: [("route", route), ("method", method), ("status", "\(status)")]
                ),
                timer: registry.makeDurationHistogram(
                    descriptor: Self.descriptor(
                        "artifactstore_http_request_duration_seconds",
                        "Time to the response head, by route template and method."
                    ),
                    labels: [("route", route), ("method", method)],
                    buckets: Self.latencyBuckets
                )
            )
            handles[key] = made
            return made
        }
        handles.counter.increment()
        handles.timer.record(duration)
    }

    func recordBytesIn(_ count: Int) {
        bytesReceived.increment(by: Int64(count))
    }

    func recordBytesOut(_ count: Int) {
        bytesSent.increment(by: Int64(count))
    }

    /// Bytes of a download the kernel sent from its file (``DownloadBody``); also counted as sent.
    func recordBytesSentFromFile(_ count: Int) {
        recordBytesOut(count)
        bytesSentFromFiles.increment(by: Int64(count))
    }

    /// A blob upload finished (stored or refused).
    func recordIngest(duration: Duration, deduplicated: Bool?, repaired: Bool? = nil) {
        ingestDuration.record(duration)
        if deduplicated == true {
            dedupHits.increment()
        }
        if repaired == true {
            repairs.increment()
        }
    }

    /// A blob or file download was answered: time until the response (headers) was ready.
    func recordServe(duration: Duration) {
        serveDuration.record(duration)
    }

    /// A garbage collection ran (a dry run is not counted).
    public func recordGarbageCollection(_ report: GarbageCollectionReport) {
        guard report.ran, !report.dryRun else { return }
        gcRuns.increment()
        gcBlobsDeleted.increment(by: Int64(report.blobsDeleted))
        gcBytesDeleted.increment(by: Int64(clamping: report.bytesDeleted))
        gcLinksExpired.increment(by: Int64(report.linksExpired))
    }

    /// The last health check of each backend: 1 healthy, 0 not.
    func recordBackendHealth(_ statuses: [BackendStatus]) {
        for status in statuses {
            registry.makeGauge(
                descriptor: Self.descriptor("artifactstore_backend_healthy", "The last health check of each backend: 1 healthy, 0 not."),
                labels: [("backend", status.backendID)]
            ).set(to: status.isHealthy ? 1 : 0)
        }
    }

    /// The Prometheus text exposition: the registry's families, then the process's
    /// (``ProcessMetrics``, sampled now).
    public func exposition() -> [UInt8] {
        var text = registry.emitToBuffer()
        text.append(contentsOf: ProcessMetrics.sample().exposition().utf8)
        return text
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
