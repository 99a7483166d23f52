import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import Foundation
import Logging
import ServiceLifecycle

/// Replication as a long-running service (docs/replication.md): push items copied from the
/// durable queue, pull rules mirrored every interval, and every rule's status in `/metrics`.
///
/// Exists so `artifactstore serve` replicates from its one ServiceGroup. Every node may run it:
/// push items are leased to one node (``ReplicationQueue``), and a pull run is claimed by moving
/// the rule's `last_run_at` (``Replication/claimRun(_:previous:now:)``), so each runs once.
/// Graceful shutdown interrupts the waits, never a copy's bookkeeping; a copy cut by a kill is
/// repeated after its lease expires.
struct ReplicationService: Service {
    let controlPlane: ControlPlane
    let metrics: ServerMetrics
    let queue: ReplicationQueue
    let interval: Duration
    let tokens = OCIUpstreamTokens()
    let mounts = ReplicationMounts()

    init(controlPlane: ControlPlane, metrics: ServerMetrics, settings: WebhookDeliverySettings, interval: Duration = .seconds(1)) {
        self.controlPlane = controlPlane
        self.metrics = metrics
        self.queue = ReplicationQueue(controlPlane: controlPlane, settings: settings)
        self.interval = interval
    }

    var logger: Logger { controlPlane.logger }
    var replication: Replication { Replication(controlPlane: controlPlane) }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await pushLoop() }
            group.addTask { await pullLoop() }
        }
    }

    private func pushLoop() async {
        var pruning = PruneSchedule(clock: ContinuousClock())
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var full = false
            do {
                let items = try await queue.claim()
                if !items.isEmpty {
                    let rules = Dictionary(try await replication.configurations().map { ($0.name, $0) }) { first, _ in first }
                    await withDiscardingTaskGroup { group in
                        for item in items { group.addTask { await copy(item, rules[item.rule]) } }
                    }
                }
                full = items.count == queue.settings.batchSize
            } catch {
                logger.error("a replication round failed", metadata: ["error": "\(error.message)"])
            }
            if full { continue }
            await pruning.runIfDue(
                { () throws(ControlPlaneError) in try await queue.prune() },
                failed: { logger.error("removing old replication items failed", metadata: ["error": "\($0.message)"]) }
            )
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
    }

    /// The rule's remote, after checking its host against the outbound address policy again (a
    /// name may resolve elsewhere since the rule was created).
    private func remote(_ rule: ReplicationRuleConfiguration) throws(ControlPlaneError) -> ReplicationRemote {
        try controlPlane.configuration.webhookNetworks.check(host: rule.remoteHost, what: "replication remote", code: .invalidReplication)
        return ReplicationRemote(rule: rule, tokens: tokens, logger: logger)
    }

    /// Copies one item and records the outcome; a failure on the first attempt or the last emits
    /// `replication.failed` to the repository's namespace's webhooks.
    private func copy(_ item: ReplicationQueue.Item, _ rule: ReplicationRuleConfiguration?) async {
        guard let rule else { return }
        var failure: String?
        do {
            let remote = try remote(rule)
            try await ReplicationPusher(oci: OCIRegistry(controlPlane: controlPlane), remote: remote, mounts: mounts).push(item)
        } catch {
            failure = Self.describe(error)
        }
        do {
            guard let state = try await queue.record(item, failure: failure) else {
                logger.info("a replication item's lease ended before its copy did", metadata: ["rule": "\(rule.name)", "id": "\(item.id)"])
                return
            }
            let outcome = state == .delivered ? "copied" : (state == .dead ? "dead" : "retrying")
            metrics.recordReplicationAttempt(rule: rule.name, outcome: outcome)
            if let failure {
                logger.warning(
                    "replication push failed",
                    metadata: [
                        "rule": "\(rule.name)", "repository": "\(item.repository)", "reference": "\(item.reference)",
                        "attempt": "\(item.attempts + 1)", "error": "\(failure)",
                    ]
                )
                if item.attempts == 0 || state == .dead {
                    await emitFailure(
                        rule,
                        namespace: item.repository.split(separator: "/").first.map(String.init),
                        subject: item.repository,
                        detail: "\(item.reference): \(failure)" + (state == .dead ? " (gave up)" : "")
                    )
                }
            }
        } catch {
            logger.error("recording a replication item failed", metadata: ["error": "\(error.message)"])
        }
    }

    private func pullLoop() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let now = controlPlane.nowMilliseconds()
                let rules = try await replication.list()
                metrics.recordReplicationStatus(rules)
                // The rules' passwords are read and opened only when a pull run is due.
                var configurations: [ReplicationRuleConfiguration]?
                for rule in rules where rule.direction == .pull {
                    let last = rule.status.lastRunAt.map { Int64($0.timeIntervalSince1970 * 1000) }
                    guard now - (last ?? 0) >= rule.intervalSeconds * 1000 else { continue }
                    if configurations == nil { configurations = try await replication.configurations() }
                    guard let configuration = configurations?.first(where: { $0.name == rule.name }),
                        try await replication.claimRun(rule.name, previous: last, now: now)
                    else { continue }
                    await mirror(configuration)
                }
            } catch {
                logger.error("a replication status round failed", metadata: ["error": "\(error.message)"])
            }
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
    }

    private func mirror(_ rule: ReplicationRuleConfiguration) async {
        var failure: String?
        do {
            let remote = try remote(rule)
            let mirror = ReplicationMirror(
                oci: OCIRegistry(controlPlane: controlPlane),
                remote: remote,
                context: RequestContext(actor: "system:replication:\(rule.name)")
            )
            let stored = try await mirror.run()
            logger.info("replication mirror run finished", metadata: ["rule": "\(rule.name)", "manifests": "\(stored)"])
        } catch {
            failure = Self.describe(error)
        }
        metrics.recordReplicationAttempt(rule: rule.name, outcome: failure == nil ? "mirrored" : "failed")
        do {
            try await replication.recordOutcome(rule.name, error: failure)
        } catch {
            logger.error("recording a replication run failed", metadata: ["error": "\(error.message)"])
        }
        if let failure {
            logger.warning("replication mirror failed", metadata: ["rule": "\(rule.name)", "error": "\(failure)"])
            let namespace = rule.repositories.split(separator: "/").first.map(String.init).flatMap { $0.contains("*") ? nil : $0 }
            await emitFailure(rule, namespace: namespace, subject: rule.repositories, detail: failure)
        }
    }

    private func emitFailure(_ rule: ReplicationRuleConfiguration, namespace: String?, subject: String, detail: String) async {
        guard let namespace else { return }
        do {
            try await controlPlane.webhooks.record(
                .replicationFailed,
                namespace: namespace,
                subject: subject,
                digests: [],
                detail: "rule \(rule.name) (\(rule.direction.rawValue) \(rule.remote.absoluteString)): \(detail)",
                context: RequestContext(actor: "system:replication:\(rule.name)")
            )
        } catch {
            logger.error("recording a replication.failed webhook event failed", metadata: ["error": "\(error.message)"])
        }
    }

    /// A failure in words: our own messages name the remote by its URL and never a credential.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as ReplicationRemote.Failure: failure.description
        case let error as OCIError: error.message
        case let error as ControlPlaneError: error.message
        default: "the copy failed unexpectedly (see the server log)"
        }
    }
}
