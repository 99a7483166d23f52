public import ArtifactMetadata
public import ArtifactStoreAPI
import Foundation
import SQLKit

/// Retention policies, legal holds, and their evaluation (dry run or for real).
///
/// Exists so a namespace keeps what its policies say and nothing more, while legal holds keep
/// anything they name until released, whoever asks for a deletion (DESIGN.md §5). Evaluation
/// pages through each artifact's versions newest first, so it never loads a whole artifact.
/// Deleting a version leaves its blobs to the garbage collector.
public struct Retention: Sendable {
    let controlPlane: ControlPlane

    /// Versions read at once during evaluation.
    static let pageSize = 500

    // MARK: Policies

    /// Creates or replaces the policy `policy.name` of `policy.namespace`.
    ///
    /// - Throws: `invalidName`, `invalidPolicy` (no rule, `keepLast` < 0, `maxAgeSeconds` < 0, bad
    ///   glob), `namespaceNotFound`.
    public func setPolicy(_ policy: RetentionPolicy, context: RequestContext) async throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(policy.namespace)
        try NameGrammar.validatePolicyName(policy.name)
        _ = try ArtifactGlob(policy.artifactGlob)
        guard policy.keepLast != nil || policy.maxAgeSeconds != nil else {
            throw ControlPlaneError(.invalidPolicy, "policy \"\(policy.name)\" has neither keepLast nor maxAgeSeconds")
        }
        if let keep = policy.keepLast, keep < 0 {
            throw ControlPlaneError(.invalidPolicy, "policy \"\(policy.name)\": keepLast \(keep) is negative")
        }
        if let age = policy.maxAgeSeconds, age < 0 {
            throw ControlPlaneError(.invalidPolicy, "policy \"\(policy.name)\": maxAgeSeconds \(age) is negative")
        }
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("setting retention policy \"\(policy.name)\"") { db in
            _ = try await Registry.requireNamespace(policy.namespace, in: db)
            try await db.raw("DELETE FROM retention_policies WHERE namespace = \(bind: policy.namespace) AND name = \(bind: policy.name)")
                .run()
            try await db.raw(
                """
                INSERT INTO retention_policies (namespace, name, artifact_glob, keep_last, max_age_seconds, protect_tagged, created_by, created_at)
                VALUES (\(bind: policy.namespace), \(bind: policy.name), \(bind: policy.artifactGlob), \(bind: policy.keepLast.map(Int64.init)),
                        \(bind: policy.maxAgeSeconds), \(bind: Int64(policy.protectTagged ? 1 : 0)), \(bind: context.actor), \(bind: now))
                """
            ).run()
            try await AuditLog.append(
                AuditEvent(
                    action: "policy.set",
                    namespace: policy.namespace,
                    target: "\(policy.namespace)/\(policy.name)",
                    detail:
                        "glob \(policy.artifactGlob) keepLast \(policy.keepLast.map(String.init) ?? "-") maxAgeSeconds \(policy.maxAgeSeconds.map(String.init) ?? "-") protectTagged \(policy.protectTagged)"
                ),
                context: context,
                at: now,
                in: db
            )
        }
    }

    public func deletePolicy(namespace: String, name: String, context: RequestContext) async throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validatePolicyName(name)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("deleting retention policy \"\(name)\"") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            guard
                try await db.raw("SELECT name FROM retention_policies WHERE namespace = \(bind: namespace) AND name = \(bind: name)")
                    .first() != nil
            else {
                throw ControlPlaneError(.policyNotFound, "namespace \"\(namespace)\" has no retention policy \"\(name)\"")
            }
            try await db.raw("DELETE FROM retention_policies WHERE namespace = \(bind: namespace) AND name = \(bind: name)").run()
            try await AuditLog.append(
                AuditEvent(action: "policy.delete", namespace: namespace, target: "\(namespace)/\(name)"),
                context: context,
                at: now,
                in: db
            )
        }
    }

    public func listPolicies(namespace: String, page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<RetentionPolicy> {
        try NameGrammar.validateNamespace(namespace)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing retention policies") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            return try await Self.policies(namespace, after: after, limit: limit + 1, in: db)
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.name] }
    }

    // MARK: Holds

    /// Places a legal hold on a version. Refused with `holdExists` when it already has one.
    public func placeHold(
        namespace: String,
        artifact: String,
        version: String,
        reason: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> LegalHold {
        try Registry.validate(namespace: namespace, artifact: artifact, version: version)
        guard !reason.isEmpty, reason.utf8.count <= 1024 else {
            throw ControlPlaneError(.invalidName, "a hold needs a reason of 1–1024 bytes")
        }
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("placing a hold on \(namespace)/\(artifact)@\(version)") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            _ = try await Registry.requireVersion(namespace, artifact, version, in: db)
            if try await db.raw(
                "SELECT reason FROM holds WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
            ).first() != nil {
                throw ControlPlaneError(.holdExists, "version \(namespace)/\(artifact)@\(version) is already held")
            }
            try await db.raw(
                "INSERT INTO holds (namespace, artifact, version, reason, created_by, created_at) VALUES (\(bind: namespace), \(bind: artifact), \(bind: version), \(bind: reason), \(bind: context.actor), \(bind: now))"
            ).run()
            try await AuditLog.append(
                AuditEvent(action: "hold.place", namespace: namespace, target: "\(namespace)/\(artifact)@\(version)", detail: reason),
                context: context,
                at: now,
                in: db
            )
            return LegalHold(
                namespace: namespace,
                artifact: artifact,
                version: version,
                reason: reason,
                createdBy: context.actor,
                createdAt: Date(milliseconds: now)
            )
        }
    }

    /// Releases a version's legal hold. Refused with `holdNotFound` when it has none.
    public func releaseHold(namespace: String, artifact: String, version: String, context: RequestContext) async throws(ControlPlaneError) {
        try Registry.validate(namespace: namespace, artifact: artifact, version: version)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("releasing the hold on \(namespace)/\(artifact)@\(version)") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            guard
                try await db.raw(
                    "SELECT reason FROM holds WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
                ).first() != nil
            else {
                throw ControlPlaneError(.holdNotFound, "version \(namespace)/\(artifact)@\(version) has no hold")
            }
            try await db.raw(
                "DELETE FROM holds WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)"
            ).run()
            try await AuditLog.append(
                AuditEvent(action: "hold.release", namespace: namespace, target: "\(namespace)/\(artifact)@\(version)"),
                context: context,
                at: now,
                in: db
            )
        }
    }

    public func listHolds(namespace: String, page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<LegalHold> {
        try NameGrammar.validateNamespace(namespace)
        let after = try page.validated(arity: 2) ?? ["", ""]
        let limit = page.limit
        let fetched = try await controlPlane.query("listing holds") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            return try await db.raw(
                """
                SELECT namespace, artifact, version, reason, created_by, created_at FROM holds
                WHERE namespace = \(bind: namespace) AND (artifact > \(bind: after[0]) OR (artifact = \(bind: after[0]) AND version > \(bind: after[1])))
                ORDER BY artifact, version LIMIT \(literal: limit + 1)
                """
            ).all().map { row in
                LegalHold(
                    namespace: try row.string("namespace"),
                    artifact: try row.string("artifact"),
                    version: try row.string("version"),
                    reason: try row.string("reason"),
                    createdBy: try row.string("created_by"),
                    createdAt: Date(milliseconds: try row.int("created_at"))
                )
            }
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.artifact, $0.version] }
    }

    // MARK: Evaluation

    /// Applies every policy of `namespace`: reports what goes and why, and with `dryRun == false`
    /// deletes it (each deletion in its own transaction, audited with its reason, actor
    /// `context.actor`). Held versions are reported as `blocked` and never deleted.
    public func evaluate(
        namespace: String,
        dryRun: Bool,
        context: RequestContext = .retention
    ) async throws(ControlPlaneError) -> RetentionReport {
        try NameGrammar.validateNamespace(namespace)
        let policies = try await controlPlane.query("reading retention policies") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            return try await Self.policies(namespace, after: "", limit: 10_000, in: db)
        }
        let globs = try policies.map { policy throws(ControlPlaneError) in (policy, try ArtifactGlob(policy.artifactGlob)) }
        let now = controlPlane.nowMilliseconds()
        var report = RetentionReport(namespace: namespace, dryRun: dryRun, decisions: [], versionsExamined: 0)
        var artifactPage = PageRequest(limit: 500)
        while true {
            let artifacts = try await controlPlane.registry.listArtifacts(namespace: namespace, page: artifactPage)
            for artifact in artifacts.items {
                let matching = globs.filter { $0.1.matches(artifact.name) }.map(\.0)
                guard !matching.isEmpty else { continue }
                try await evaluate(
                    artifact: artifact.name,
                    namespace: namespace,
                    policies: matching,
                    now: now,
                    dryRun: dryRun,
                    context: context,
                    report: &report
                )
            }
            guard let next = artifacts.nextCursor else { break }
            artifactPage.cursor = next
        }
        return report
    }

    private func evaluate(
        artifact: String,
        namespace: String,
        policies: [RetentionPolicy],
        now: Int64,
        dryRun: Bool,
        context: RequestContext,
        report: inout RetentionReport
    ) async throws(ControlPlaneError) {
        var rank = 0
        var position: (Int64, String)? = nil
        while true {
            let after = position
            let page = try await controlPlane.query("reading versions of \(namespace)/\(artifact)") { db in
                var sql: SQLQueryString = """
                    SELECT v.version, v.created_at,
                        CASE WHEN EXISTS (SELECT 1 FROM tags t WHERE t.namespace = v.namespace AND t.artifact = v.artifact AND t.version = v.version) THEN 1 ELSE 0 END AS tagged,
                        CASE WHEN EXISTS (SELECT 1 FROM holds h WHERE h.namespace = v.namespace AND h.artifact = v.artifact AND h.version = v.version) THEN 1 ELSE 0 END AS held
                    FROM versions v WHERE v.namespace = \(bind: namespace) AND v.artifact = \(bind: artifact)
                    """
                if let after {
                    sql += " AND (v.created_at < \(bind: after.0) OR (v.created_at = \(bind: after.0) AND v.version < \(bind: after.1)))"
                }
                sql += " ORDER BY v.created_at DESC, v.version DESC LIMIT \(literal: Self.pageSize)"
                return try await db.raw(sql).all().map { row in
                    (try row.string("version"), try row.int("created_at"), try row.int("tagged") != 0, try row.int("held") != 0)
                }
            }
            for (version, createdAt, tagged, held) in page {
                defer { rank += 1 }
                report.versionsExamined += 1
                guard let reason = Self.reason(rank: rank, createdAt: createdAt, tagged: tagged, policies: policies, now: now) else {
                    continue
                }
                var decision = RetentionDecision(
                    namespace: namespace,
                    artifact: artifact,
                    version: version,
                    createdAt: Date(milliseconds: createdAt),
                    action: held ? .blocked : .delete,
                    reason: held ? reason.text + "; blocked by a legal hold" : reason.text
                )
                if !held && !dryRun {
                    decision = try await delete(decision, protectTagged: reason.protectTagged, context: context)
                }
                report.decisions.append(decision)
            }
            guard page.count == Self.pageSize, let last = page.last else { return }
            position = (last.1, last.0)
        }
    }

    /// The first policy that selects the version without sparing it, and why.
    private static func reason(
        rank: Int,
        createdAt: Int64,
        tagged: Bool,
        policies: [RetentionPolicy],
        now: Int64
    ) -> (text: String, protectTagged: Bool)? {
        for policy in policies {
            if tagged && policy.protectTagged { continue }
            if let keep = policy.keepLast, rank >= keep {
                return ("policy \"\(policy.name)\": not among the \(keep) newest", policy.protectTagged)
            }
            if let age = policy.maxAgeSeconds, createdAt < now - age * 1000 {
                return ("policy \"\(policy.name)\": older than \(age) seconds", policy.protectTagged)
            }
        }
        return nil
    }

    /// Deletes a selected version, re-checking in the transaction that it is still unheld (and,
    /// when the policy spares tagged versions, still untagged).
    private func delete(
        _ decision: RetentionDecision,
        protectTagged: Bool,
        context: RequestContext
    ) async throws(ControlPlaneError) -> RetentionDecision {
        let now = controlPlane.nowMilliseconds()
        var result = decision
        do {
            try await controlPlane.mutate(
                "retention deleting \(decision.namespace)/\(decision.artifact)@\(decision.version)",
                priority: .background
            ) { db in
                if protectTagged,
                    try await db.raw(
                        "SELECT tag FROM tags WHERE namespace = \(bind: decision.namespace) AND artifact = \(bind: decision.artifact) AND version = \(bind: decision.version)"
                    ).first() != nil
                {
                    throw ControlPlaneError(.immutableTag, "tagged since evaluation")
                }
                try await Registry.deleteVersion(
                    decision.namespace,
                    decision.artifact,
                    decision.version,
                    reason: "retention: " + decision.reason,
                    context: context,
                    at: now,
                    in: db
                )
            }
        } catch  where error.kind == .versionHeld || error.kind == .immutableTag {
            result.action = .blocked
            result.reason += "; blocked: \(error.message)"
        } catch  where error.kind == .versionNotFound {
            // Deleted by someone else meanwhile: the outcome retention wanted.
        }
        return result
    }

    static func policies(_ namespace: String, after: String, limit: Int, in db: any SQLDatabase) async throws -> [RetentionPolicy] {
        try await db.raw(
            """
            SELECT namespace, name, artifact_glob, keep_last, max_age_seconds, protect_tagged FROM retention_policies
            WHERE namespace = \(bind: namespace) AND name > \(bind: after) ORDER BY name LIMIT \(literal: limit)
            """
        ).all().map { row in
            RetentionPolicy(
                namespace: try row.string("namespace"),
                name: try row.string("name"),
                artifactGlob: try row.string("artifact_glob"),
                keepLast: try row.optionalInt("keep_last").map(Int.init),
                maxAgeSeconds: try row.optionalInt("max_age_seconds"),
                protectTagged: try row.int("protect_tagged") != 0
            )
        }
    }
}
