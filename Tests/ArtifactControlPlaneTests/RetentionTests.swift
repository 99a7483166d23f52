import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import ServiceLifecycle
import Testing

@Suite("Retention and legal holds", .timeLimit(.minutes(10)))
struct RetentionTests {
    /// `app` with versions 1…6, one minute apart (6 newest); 1 tagged `stable`, 2 held.
    static func populate(_ h: Harness, namespace: String = "team", immutableTags: Bool = false) async throws {
        _ = try await h.registry.createNamespace(namespace, immutableTags: immutableTags, context: h.context)
        for index in 1...6 {
            try await h.push(namespace, "app", "\(index)", files: ["f": Array("v\(index)".utf8)])
            h.advance(by: 60)
        }
        _ = try await h.registry.setTag(namespace: namespace, artifact: "app", tag: "stable", version: "1", context: h.context)
        _ = try await h.controlPlane.retention.placeHold(
            namespace: namespace,
            artifact: "app",
            version: "2",
            reason: "litigation 7",
            context: h.context
        )
    }

    static func versions(_ h: Harness, _ namespace: String = "team", _ artifact: String = "app") async throws -> [String] {
        try await h.registry.listVersions(namespace: namespace, artifact: artifact).items.map(\.version)
    }

    @Test(
        "keep the last N: a dry run reports and changes nothing; a real run deletes, holds block, tags are spared",
        arguments: TestDatabase.allCases
    )
    func keepLast(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            let retention = h.controlPlane.retention
            try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "keep-two", keepLast: 2), context: h.context)

            let before = try await h.snapshot()
            let dry = try await retention.evaluate(namespace: "team", dryRun: true)
            #expect(try await h.snapshot() == before)
            #expect(dry.dryRun)
            #expect(dry.versionsExamined == 6)
            #expect(dry.deletions.map(\.version) == ["4", "3"])
            #expect(dry.blocked.map(\.version) == ["2"])
            #expect(dry.decisions.allSatisfy { $0.reason.contains("keep-two") && $0.reason.contains("2 newest") })
            #expect(dry.blocked[0].reason.contains("legal hold"))

            let real = try await retention.evaluate(namespace: "team", dryRun: false)
            #expect(real.deletions.map(\.version) == ["4", "3"])
            #expect(real.blocked.map(\.version) == ["2"])
            #expect(try await Self.versions(h) == ["1", "2", "5", "6"])
            let deletions = try await h.auditRecords(action: "version.delete")
            #expect(deletions.map(\.target) == ["team/app@4", "team/app@3"])
            #expect(
                deletions.allSatisfy { $0.actor == "system:retention" && $0.detail?.contains("retention: policy \"keep-two\"") == true }
            )
            // Running again finds nothing more to delete.
            #expect(try await retention.evaluate(namespace: "team", dryRun: false).deletions.isEmpty)
        }
    }

    @Test("delete older than an age, narrowed by an artifact glob, tagged versions too when told", arguments: TestDatabase.allCases)
    func maxAgeAndGlob(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            for artifact in ["tools/a", "tools/deep/b", "other"] {
                for index in 1...3 {
                    try await h.push("team", artifact, "\(index)", files: ["f": Array("\(artifact) \(index)".utf8)])
                    h.advance(by: 3600)
                }
            }
            _ = try await h.registry.setTag(namespace: "team", artifact: "tools/a", tag: "old", version: "1", context: h.context)
            // Now: tools/a versions are 9, 8, 7 hours old; tools/deep/b 6, 5, 4; other 3, 2, 1.
            let retention = h.controlPlane.retention
            try await retention.setPolicy(
                RetentionPolicy(
                    namespace: "team",
                    name: "tools",
                    artifactGlob: "tools/*",
                    maxAgeSeconds: 8 * 3600 - 1,
                    protectTagged: false
                ),
                context: h.context
            )
            let report = try await retention.evaluate(namespace: "team", dryRun: false)
            #expect(report.deletions.map { "\($0.artifact)@\($0.version)" } == ["tools/a@2", "tools/a@1"])
            #expect(try await Self.versions(h, "team", "tools/a") == ["3"])
            #expect(try await Self.versions(h, "team", "tools/deep/b") == ["1", "2", "3"])
            #expect(try await Self.versions(h, "team", "other") == ["1", "2", "3"])
            #expect(try await h.registry.listTags(namespace: "team", artifact: "tools/a").items.isEmpty)

            try await retention.setPolicy(
                RetentionPolicy(namespace: "team", name: "everything", artifactGlob: "**", maxAgeSeconds: 5 * 3600 - 1),
                context: h.context
            )
            let second = try await retention.evaluate(namespace: "team", dryRun: false)
            #expect(Set(second.deletions.map { "\($0.artifact)@\($0.version)" }) == ["tools/a@3", "tools/deep/b@1", "tools/deep/b@2"])
        }
    }

    @Test("a tagged version in a namespace with immutable tags is reported blocked, not deleted", arguments: TestDatabase.allCases)
    func immutableTagsBlock(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h, immutableTags: true)
            try await h.controlPlane.retention.setPolicy(
                RetentionPolicy(namespace: "team", name: "keep-one", keepLast: 1, protectTagged: false),
                context: h.context
            )
            let report = try await h.controlPlane.retention.evaluate(namespace: "team", dryRun: false)
            #expect(report.deletions.map(\.version) == ["5", "4", "3"])
            #expect(Set(report.blocked.map(\.version)) == ["2", "1"])
            #expect(try await Self.versions(h) == ["1", "2", "6"])
        }
    }

    @Test("legal holds block users' deletes until released", arguments: TestDatabase.allCases)
    func holds(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            let retention = h.controlPlane.retention
            try await h.expectRefusal(.versionHeld) {
                try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "2", context: h.context)
            }
            try await h.expectRefusal(.holdExists) {
                _ = try await retention.placeHold(namespace: "team", artifact: "app", version: "2", reason: "again", context: h.context)
            }
            try await h.expectRefusal(.versionNotFound) {
                _ = try await retention.placeHold(namespace: "team", artifact: "app", version: "99", reason: "x", context: h.context)
            }
            try await h.expectRefusal(.holdNotFound) {
                try await retention.releaseHold(namespace: "team", artifact: "app", version: "3", context: h.context)
            }
            #expect(try await retention.listHolds(namespace: "team").items.map(\.version) == ["2"])
            try await retention.releaseHold(namespace: "team", artifact: "app", version: "2", context: h.context)
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "2", context: h.context)
            #expect(try await h.auditRecords(action: "hold.place").count == 1)
            #expect(try await h.auditRecords(action: "hold.release").count == 1)
        }
    }

    @Test("malformed policies and unknown names are refused and change nothing", arguments: TestDatabase.allCases)
    func policyRefusals(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let retention = h.controlPlane.retention
            try await h.expectRefusal(.invalidPolicy) {
                try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "none"), context: h.context)
            }
            try await h.expectRefusal(.invalidPolicy) {
                try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "neg", keepLast: -1), context: h.context)
            }
            try await h.expectRefusal(.invalidPolicy) {
                try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "old", maxAgeSeconds: -5), context: h.context)
            }
            try await h.expectRefusal(.invalidPolicy) {
                try await retention.setPolicy(
                    RetentionPolicy(namespace: "team", name: "glob", artifactGlob: "[a-z]", keepLast: 1),
                    context: h.context
                )
            }
            try await h.expectRefusal(.invalidName) {
                try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "Bad Name", keepLast: 1), context: h.context)
            }
            try await h.expectRefusal(.namespaceNotFound) {
                try await retention.setPolicy(RetentionPolicy(namespace: "nowhere", name: "p", keepLast: 1), context: h.context)
            }
            try await h.expectRefusal(.namespaceNotFound) { _ = try await retention.evaluate(namespace: "nowhere", dryRun: true) }
            try await h.expectRefusal(.policyNotFound) {
                try await retention.deletePolicy(namespace: "team", name: "absent", context: h.context)
            }
            try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "p", keepLast: 1), context: h.context)
            try await retention.setPolicy(RetentionPolicy(namespace: "team", name: "p", keepLast: 3), context: h.context)
            #expect(try await retention.listPolicies(namespace: "team").items.map(\.keepLast) == [3])
            try await retention.deletePolicy(namespace: "team", name: "p", context: h.context)
            #expect(try await retention.listPolicies(namespace: "team").items.isEmpty)
        }
    }

    @Test(
        "the retention service applies every namespace's policies at start and once per interval of its clock, until shutdown",
        arguments: TestDatabase.allCases
    )
    func service(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            _ = try await h.registry.createNamespace("no-policies", context: h.context)
            try await h.push("no-policies", "app", "1", files: ["f": Array("x".utf8)])
            try await h.push("no-policies", "app", "2", files: ["f": Array("y".utf8)])
            let clock = ManualClock()
            let (reports, continuation) = AsyncStream.makeStream(of: [RetentionReport].self)
            let service = h.controlPlane.retention.service(interval: .seconds(600), clock: clock) { continuation.yield($0) }
            let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: TestLogs.silent)
            let running = Task { try await group.run() }
            var iterator = reports.makeAsyncIterator()
            #expect(await iterator.next()?.isEmpty == true)  // the run at start: no namespace has a policy

            // A policy set now takes effect at the next interval of the service's clock, not before.
            while clock.sleeperCount == 0 { await Task.yield() }
            let policy = RetentionPolicy(namespace: "team", name: "keep-one", keepLast: 1)
            try await h.controlPlane.retention.setPolicy(policy, context: h.context)
            clock.advance(by: .seconds(599))
            #expect(try await Self.versions(h) == ["1", "2", "3", "4", "5", "6"])
            clock.advance(by: .seconds(1))
            let applied = try #require(await iterator.next())
            #expect(applied.map(\.namespace) == ["team"])
            #expect(applied.first?.deletions.count == 3)
            await group.triggerGracefulShutdown()
            try await running.value
            // 3, 4 and 5 went; 6 is the newest, 1 is tagged, 2 is held; the other namespace is untouched.
            #expect(try await Self.versions(h) == ["1", "2", "6"])
            #expect(try await Self.versions(h, "no-policies") == ["1", "2"])
            #expect(try await h.auditRecords(action: "version.delete").allSatisfy { $0.actor == "system:retention" })
        }
    }
}
