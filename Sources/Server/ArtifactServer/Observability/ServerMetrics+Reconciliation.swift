public import ArtifactControlPlane
import Prometheus

extension ServerMetrics {
    /// A reconciliation ran (docs/operations.md, "Reconciliation"): the gauges show what the last
    /// run found, so they appear after the first run rather than claiming a clean store before.
    public func recordReconciliation(_ report: ReconcileReport) {
        guard report.ran else { return }
        let strays = Self.descriptor(
            "artifactstore_stray_objects",
            "Files in a backend that no blob row accounts for, found by the last reconciliation (before it removed any), "
                + "by age: past_grace may be removed, within_grace may be an upload in flight."
        )
        registry.makeGauge(descriptor: strays, labels: [("age", "past_grace")]).set(to: Double(report.straysPastGrace))
        registry.makeGauge(descriptor: strays, labels: [("age", "within_grace")]).set(
            to: Double(report.strayCount - report.straysPastGrace)
        )
        registry.makeGauge(
            descriptor: Self.descriptor(
                "artifactstore_missing_objects",
                "Live blob rows whose object the last reconciliation did not find in their backend."
            )
        ).set(to: Double(report.missingCount))
        registry.makeCounter(
            descriptor: Self.descriptor("artifactstore_reconcile_runs_total", "Reconciliations of storage with the metadata that ran.")
        ).increment()
        registry.makeCounter(
            descriptor: Self.descriptor(
                "artifactstore_stray_objects_removed_total",
                "Stray files removed by reconciliation (older than the GC grace period)."
            )
        ).increment(by: Int64(report.straysRemoved))
        registry.makeCounter(
            descriptor: Self.descriptor("artifactstore_stray_bytes_removed_total", "Bytes of stray files removed by reconciliation.")
        ).increment(by: Int64(clamping: report.bytesRemoved))
    }
}
