import ArtifactMetadata
import Logging
import SQLKit
public import ServiceLifecycle

extension Registry {
    /// Moves the usage changes pushes appended into the namespaces' counter rows, in batches of
    /// `batch` until none is left; returns how many it moved (``NamespaceUsageCounter``).
    @discardableResult
    public func foldUsageChanges(batch: Int = 1000) async throws(ControlPlaneError) -> Int {
        // An idle store costs a read a second, not a write transaction (and an fsync on SQLite).
        let pending = try await controlPlane.query("looking for namespace usage changes to fold") { db in
            try await db.raw("SELECT 1 AS pending FROM namespace_usage_changes LIMIT 1").first() != nil
        }
        guard pending else { return 0 }
        var total = 0
        while true {
            let moved: Int
            do {
                // Snapshot isolation (see TransactionIsolation): a fold's conflicts are writes to
                // the rows it deletes and the counter rows it updates; the pushes whose changes
                // it reads are never cancelled on its account.
                moved = try await controlPlane.store.transaction(priority: .background, isolation: .snapshot) { db in
                    try await NamespaceUsageCounter.fold(in: db, limit: batch)
                }
            } catch {
                throw ControlPlaneError.wrapping(error, "folding namespace usage changes into their counters")
            }
            total += moved
            if moved < batch { return total }
        }
    }

    /// The service `serve` runs to keep the appended usage changes few: a fold every `interval`.
    public func usageFoldService<C: Clock<Duration>>(
        interval: Duration = .seconds(1),
        clock: C = ContinuousClock()
    )
        -> NamespaceUsageFoldService<C>
    {
        NamespaceUsageFoldService(registry: self, interval: interval, clock: clock)
    }
}

/// Folds appended usage changes into the namespaces' counter rows every ``interval``, on every
/// node (two folds at once move each change once: see ``NamespaceUsageCounter/fold(in:limit:)``).
///
/// Exists so the changes table stays small and reads of usage sum few rows. Usage is correct
/// without it (reads add the unfolded changes); a failed fold is logged and the next one retries.
public struct NamespaceUsageFoldService<C: Clock<Duration>>: Service {
    let registry: Registry
    let interval: Duration
    let clock: C

    public func run() async throws {
        await runPeriodically(every: interval, on: clock) {
            do {
                try await registry.foldUsageChanges()
            } catch {
                registry.controlPlane.logger.error("folding namespace usage changes failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
