import ArtifactControlPlane
import ArtifactStoreCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing

@testable import ArtifactServer

/// `/metrics` as Prometheus reads it: `# HELP` and `# TYPE` for every family, the process
/// metrics from `/proc`, and the build's version.
@Suite("Metrics exposition", .timeLimit(.minutes(10)))
struct MetricsExpositionTests {
    /// The family a sample line belongs to (a histogram's `_bucket`, `_sum`, `_count` are its family's).
    static func family(of sample: Substring, types: [String: String]) -> String {
        let name = String(sample.prefix { $0 != "{" && $0 != " " })
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    @Test("every family has # HELP and # TYPE; process_* and artifactstore_build_info are there")
    func everyFamilyIsDescribed() async throws {
        try await ServerHarness.run { harness in
            try await harness.withClient { client in
                _ = try await client.execute(uri: "/readyz", method: .get) { _ in }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    let lines = String(buffer: response.body).split(separator: "\n")
                    var helps: Set<String> = []
                    var types: [String: String] = [:]
                    for line in lines where line.hasPrefix("# ") {
                        let parts = line.split(separator: " ", maxSplits: 3)
                        if parts[1] == "HELP" { helps.insert(String(parts[2])) }
                        if parts[1] == "TYPE" { types[String(parts[2])] = String(parts[3]) }
                    }
                    let families = Set(lines.filter { !$0.hasPrefix("#") }.map { Self.family(of: $0, types: types) })
                    #expect(families.count >= 15)
                    for family in families {
                        #expect(helps.contains(family), "no # HELP for \(family)")
                        #expect(types[family] != nil, "no # TYPE for \(family)")
                    }
                    let values = Dictionary(
                        lines.filter { !$0.hasPrefix("#") }.map { line in
                            (String(line.prefix { $0 != " " }), Double(line.split(separator: " ").last ?? "") ?? -1)
                        },
                        uniquingKeysWith: { first, _ in first }
                    )
                    #expect(values["artifactstore_build_info{version=\"\(ArtifactStoreVersion.current)\"}"] == 1)
                    #expect((values["process_resident_memory_bytes"] ?? 0) > 1_000_000)
                    #expect((values["process_open_fds"] ?? 0) >= 3)
                    #expect((values["process_max_fds"] ?? 0) >= (values["process_open_fds"] ?? 0))
                    #expect((values["process_cpu_seconds_total"] ?? -1) > 0)
                    let start = values["process_start_time_seconds"] ?? 0
                    let now = Date().timeIntervalSince1970
                    #expect(start <= now + 1 && start > now - 86_400 * 30, "start time \(start) vs now \(now)")
                    #expect(types["process_cpu_seconds_total"] == "counter")
                    // glibc's account of the heap: something is allocated, and it is no more than is resident.
                    #expect(types["artifactstore_heap_in_use_bytes"] == "gauge")
                    let inUse = try #require(values["artifactstore_heap_in_use_bytes"])
                    #expect(inUse > 100_000 && inUse < (values["process_virtual_memory_bytes"] ?? 0))
                    #expect((values["artifactstore_heap_free_bytes"] ?? -1) >= 0)
                    #expect(types["artifactstore_http_request_duration_seconds"] == "histogram")
                }
            }
        }
    }

    @Test("/proc/self/stat: the fields are counted after the last ')', so a command name with spaces and parentheses parses")
    func statParsing() {
        let line = "4242 (a b) (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 123456 987654321 4321 18446744073709551615\n"
        let parsed = ProcStat(parsing: line)
        #expect(parsed == ProcStat(userTicks: 250, systemTicks: 75, startTicks: 123456, virtualBytes: 987_654_321, residentPages: 4321))
        #expect(ProcStat(parsing: "4242 (x) S 1 2") == nil)
        #expect(ProcStat(parsing: "no parenthesis") == nil)
        #expect(ProcessMetrics.bootTime(in: "cpu 1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
        let empty = ProcessMetrics().exposition()
        #expect(empty.isEmpty)
    }

    @Test("a graceful shutdown logs \"shutting down\" with the grace period before anything stops")
    func shutdownNotice() async throws {
        let lines = ServerLogHandlerTests.Lines()
        let logger = Logger(label: "artifactstore.test") {
            ServerLogHandler(label: $0, stream: lines, format: .json, metadataProvider: nil)
        }
        let group = ServiceGroup(
            services: [ShutdownNotice(logger: logger, gracePeriod: .seconds(30))],
            logger: Logger(label: "silent") { _ in SwiftLogNoOpLogHandler() }
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let objects = try lines.objects()
        #expect(objects.count == 1)
        #expect(objects.first?["message"] as? String == "shutting down")
        #expect(objects.first?["level"] as? String == "notice")
        #expect(objects.first?["grace_period_s"] as? Int == 30)
    }

    @Test("a reconciliation's findings are gauges with # HELP: strays by age, missing objects; removals are counters")
    func reconciliationMetrics() {
        let metrics = ServerMetrics()
        #expect(!String(decoding: metrics.exposition(), as: UTF8.self).contains("artifactstore_stray_objects"))
        var report = ReconcileReport(ran: true)
        report.strayCount = 5
        report.straysPastGrace = 3
        report.straysRemoved = 3
        report.bytesRemoved = 300
        report.missingCount = 1
        metrics.recordReconciliation(report)
        metrics.recordReconciliation(ReconcileReport(ran: false))
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        for family in [
            "artifactstore_stray_objects", "artifactstore_missing_objects", "artifactstore_reconcile_runs_total",
            "artifactstore_stray_objects_removed_total", "artifactstore_stray_bytes_removed_total",
        ] {
            #expect(text.contains("# HELP \(family) "), "no # HELP for \(family)")
            #expect(text.contains("# TYPE \(family) "), "no # TYPE for \(family)")
        }
        for sample in [
            "artifactstore_stray_objects{age=\"past_grace\"} 3.0", "artifactstore_stray_objects{age=\"within_grace\"} 2.0",
            "artifactstore_missing_objects 1.0", "artifactstore_reconcile_runs_total 1", "artifactstore_stray_objects_removed_total 3",
            "artifactstore_stray_bytes_removed_total 300",
        ] {
            #expect(text.contains(sample + "\n"), "no sample \(sample)")
        }
    }
}
