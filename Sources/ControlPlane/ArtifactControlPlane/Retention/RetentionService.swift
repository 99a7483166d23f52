public import ArtifactStoreAPI
import Logging
public import ServiceLifecycle

/// Retention as a long-running service: every ``interval``, applies the policies of every
/// namespace that has any (for real, actor `system:retention`), until graceful shutdown.
///
/// Exists so policies take effect without anyone running them; the garbage collector then
/// reclaims the bytes of what retention deleted. Graceful shutdown interrupts the wait between
/// runs, never a run; a failed run is logged and the next one tries again.
public struct RetentionService<C: Clock<Duration>>: Service {
    public let retention: Retention
    public let interval: Duration
    /// What ``interval`` is measured on.
    let clock: C
    let logger: Logger
    /// Called with the reports of every run that succeeded (one per namespace with policies).
    let onReport: @Sendable ([RetentionReport]) -> Void

    public func run() async throws {
        await runPeriodically(every: interval, on: clock) {
            do {
                let reports = try await retention.applyAll()
                onReport(reports)
                for report in reports where !report.decisions.isEmpty {
                    logger.info(
                        "retention applied",
                        metadata: [
                            "namespace": "\(report.namespace)", "deleted": "\(report.deletions.count)",
                            "blocked": "\(report.blocked.count)", "examined": "\(report.versionsExamined)",
                        ]
                    )
                }
            } catch {
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension Retention {
    /// A service that applies every namespace's policies at once and then every `interval` of
    /// `clock`, passing each run's reports to `onReport`.
    public func service<C: Clock<Duration>>(
        interval: Duration,
        clock: C = ContinuousClock(),
        onReport: @escaping @Sendable ([RetentionReport]) -> Void = { _ in }
    ) -> RetentionService<C> {
        RetentionService(retention: self, interval: interval, clock: clock, logger: controlPlane.logger, onReport: onReport)
    }

    /// Applies the policies of every namespace that has any, for real; one report per such
    /// namespace. Namespaces are read a page at a time.
    public func applyAll(context: RequestContext = .retention) async throws(ControlPlaneError) -> [RetentionReport] {
        let startedAt = controlPlane.nowMilliseconds()
        var reports: [RetentionReport] = []
        var page = PageRequest(limit: 200)
        while true {
            let namespaces = try await controlPlane.registry.listNamespaces(page: page)
            for namespace in namespaces.items where !(try await listPolicies(namespace: namespace.name, page: .first(1)).items.isEmpty) {
                reports.append(try await evaluate(namespace: namespace.name, dryRun: false, context: context))
            }
            guard let next = namespaces.nextCursor else {
                await controlPlane.maintenanceRuns.record(reports, startedAt: startedAt)
                return reports
            }
            page.cursor = next
        }
    }
}
